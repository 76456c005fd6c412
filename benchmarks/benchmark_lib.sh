#!/usr/bin/env bash
# Functions every single-node benchmark script sources. A benchmark script runs
# inside the serving stack's container (or, for the `sim` runner, on the host):
# it starts the server in the background, then calls run_standard_benchmark,
# which waits for /health, drives the server with loadgen and, for eval jobs,
# runs lm-eval-harness against it.
#
# The job comes in through the environment (set by the workflow template and
# passed on by runners/launch_<node>.sh): MODEL ISL OSL CONC TP EP_SIZE
# DP_ATTENTION MAX_MODEL_LEN RANDOM_RANGE_RATIO RESULT_FILENAME RUN_EVAL ...
#
# Paths, overridable for runs outside a container:
#   WORKSPACE_DIR  the repository checkout (default /workspace, where launchers
#                  mount $GITHUB_WORKSPACE); results and server.log go here
#   LOADGEN_BIN    the load generator (default $WORKSPACE_DIR/bin/loadgen)
#   GPUMON_BIN     the GPU telemetry recorder (default $WORKSPACE_DIR/bin/gpumon)

BENCHMARK_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORKSPACE_DIR=${WORKSPACE_DIR:-/workspace}
SERVER_LOG=${SERVER_LOG:-$WORKSPACE_DIR/server.log}
PORT=${PORT:-8888}
export WORKSPACE_DIR SERVER_LOG PORT

# _xtrace_state prints the command that puts tracing back the way it is now,
# so a function can `restore=$(_xtrace_state); set +x` ... `$restore` to keep
# its polling loops out of the trace.
_xtrace_state() {
    if [[ $- == *x* ]]; then echo "set -x"; else echo "set +x"; fi
}

# check_env_vars NAME... exits 1 naming every variable that is unset or empty.
check_env_vars() {
    local name missing=()
    for name in "$@"; do
        if [[ -z "${!name:-}" ]]; then
            missing+=("$name")
        fi
    done
    if ((${#missing[@]} > 0)); then
        echo "error: required environment variables are not set: ${missing[*]}" >&2
        exit 1
    fi
}

# print_job_banner shows where the job runs (the Slurm job when there is one)
# and the parameters that shape the server command.
print_job_banner() {
    if [[ -n "${SLURM_JOB_ID:-}" ]]; then
        echo "Slurm job ${SLURM_JOB_ID} on ${SLURMD_NODENAME:-unknown node}"
    fi
    echo "job: model=${MODEL:-} isl=${ISL:-} osl=${OSL:-} conc=${CONC:-} tp=${TP:-} ep=${EP_SIZE:-} dp-attn=${DP_ATTENTION:-} spec=${SPEC_DECODING:-none}"
}

# _server_healthy PORT succeeds when GET /health on the local PORT answers
# 200: with curl when there is one, else over bash's /dev/tcp (the simulated
# server runs on machines that may lack curl).
_server_healthy() {
    local port=$1
    if command -v curl >/dev/null 2>&1; then
        curl --silent --fail --output /dev/null "http://127.0.0.1:${port}/health"
        return
    fi
    local status
    { exec 3<>"/dev/tcp/127.0.0.1/${port}"; } 2>/dev/null || return 1
    printf 'GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
    IFS= read -r -t 5 status <&3 || status=""
    exec 3<&-
    [[ "$status" == "HTTP/1."?" 200"* ]]
}

# wait_for_server_ready --port P --server-log FILE --server-pid PID [--sleep-interval S]
# Streams the server log until GET /health answers 200. Exits 1 when the
# server process dies first.
wait_for_server_ready() {
    local port="" log_file="" pid="" interval=5 restore
    restore=$(_xtrace_state)
    set +x
    while (($# > 0)); do
        case "$1" in
            --port) port=$2; shift 2 ;;
            --server-log) log_file=$2; shift 2 ;;
            --server-pid) pid=$2; shift 2 ;;
            --sleep-interval) interval=$2; shift 2 ;;
            *) echo "wait_for_server_ready: unknown argument $1" >&2; $restore; return 1 ;;
        esac
    done
    if [[ -z "$port" || -z "$log_file" || -z "$pid" ]]; then
        echo "wait_for_server_ready: --port, --server-log and --server-pid are required" >&2
        $restore
        return 1
    fi

    touch "$log_file"
    tail -n +1 -f "$log_file" &
    local tail_pid=$!
    until _server_healthy "$port"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            kill "$tail_pid" 2>/dev/null || true
            echo "error: the server (pid $pid) exited before it became healthy" >&2
            exit 1
        fi
        sleep "$interval"
    done
    kill "$tail_pid" 2>/dev/null || true
    wait "$tail_pid" 2>/dev/null || true
    echo "server on port $port is healthy"
    $restore
}

# ---------------------------------------------------------------------------
# GPU telemetry (gpumon): power and energy counters for the energy fields
# ---------------------------------------------------------------------------

# Where gpumon writes (resultproc looks there: GPU_METRICS_CSV, else
# gpu_metrics.csv in the workspace) and how often it samples, seconds.
GPU_METRICS_CSV=${GPU_METRICS_CSV:-$WORKSPACE_DIR/gpu_metrics.csv}
GPU_MONITOR_INTERVAL=${GPU_MONITOR_INTERVAL:-0.1}
GPU_MONITOR_PID=""
export GPU_METRICS_CSV

# start_gpu_monitor [--output FILE] [--interval SECONDS] starts gpumon
# ($GPUMON_BIN, default $WORKSPACE_DIR/bin/gpumon) in the background, before
# the serving stack: it records every GPU's power and energy counter until
# stop_gpu_monitor (or this script's exit). Telemetry never stops a
# benchmark: when gpumon is missing or cannot read the GPUs, this says why
# and returns 0, and the result gets power_valid 0.
start_gpu_monitor() {
    local output=$GPU_METRICS_CSV interval=$GPU_MONITOR_INTERVAL restore
    restore=$(_xtrace_state)
    set +x
    while (($# > 0)); do
        case "$1" in
            --output) output=$2; shift 2 ;;
            --interval) interval=$2; shift 2 ;;
            *) echo "start_gpu_monitor: ignoring unknown argument $1" >&2; shift ;;
        esac
    done
    local gpumon=${GPUMON_BIN:-$WORKSPACE_DIR/bin/gpumon}
    GPU_METRICS_CSV=$output
    export GPU_METRICS_CSV
    if [[ -n "$GPU_MONITOR_PID" ]]; then
        echo "[GPU Monitor] already running (PID=$GPU_MONITOR_PID)"
        $restore
        return 0
    fi
    if [[ ! -x "$gpumon" ]]; then
        echo "[GPU Monitor] Warning: no gpumon at $gpumon: no power telemetry for this job" >&2
        $restore
        return 0
    fi
    local log="${output%.csv}.gpumon.log"
    # What an earlier job left here would pass for this one's.
    rm -f "$output" "$log" "${output%.csv}_energy_start.csv" "${output%.csv}_energy_end.csv"
    "$gpumon" --output "$output" --interval "$interval" --watch-pid "$$" 2>"$log" &
    GPU_MONITOR_PID=$!
    # gpumon either writes its header or gives up (no driver, no amd-smi)
    # within moments; say which.
    local _
    for _ in {1..50}; do
        if [[ -s "$output" ]] || ! kill -0 "$GPU_MONITOR_PID" 2>/dev/null; then
            break
        fi
        sleep 0.1
    done
    if ! kill -0 "$GPU_MONITOR_PID" 2>/dev/null; then
        wait "$GPU_MONITOR_PID" 2>/dev/null || true
        echo "[GPU Monitor] Warning: gpumon did not start: no power telemetry for this job" >&2
        cat "$log" >&2
        GPU_MONITOR_PID=""
        $restore
        return 0
    fi
    echo "[GPU Monitor] Started gpumon (PID=$GPU_MONITOR_PID, interval=${interval}s, output=$output): $(head -n 1 "$log")"
    $restore
}

# stop_gpu_monitor stops gpumon (SIGTERM: it takes one last sample, so the
# benchmark window is bracketed, and exits) and reports what it recorded.
# A gpumon that does not stop within GPU_MONITOR_STOP_TIMEOUT seconds (15)
# is killed; its rows so far stand.
stop_gpu_monitor() {
    local pid=$GPU_MONITOR_PID restore
    [[ -n "$pid" ]] || return 0
    restore=$(_xtrace_state)
    set +x
    GPU_MONITOR_PID=""
    kill -TERM "$pid" 2>/dev/null || true
    local waited=0 limit=$((${GPU_MONITOR_STOP_TIMEOUT:-15} * 10))
    while kill -0 "$pid" 2>/dev/null && ((waited < limit)); do
        sleep 0.1
        waited=$((waited + 1))
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "[GPU Monitor] Warning: gpumon did not stop; killing it" >&2
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
    local log="${GPU_METRICS_CSV%.csv}.gpumon.log"
    if [[ -f "$log" ]]; then
        tail -n 3 "$log"
    fi
    if [[ -f "$GPU_METRICS_CSV" ]]; then
        echo "[GPU Monitor] Stopped (PID=$pid): $(($(wc -l <"$GPU_METRICS_CSV") - 1)) rows in $GPU_METRICS_CSV"
    fi
    $restore
}

# run_benchmark_serving --model M --port P --backend B --input-len N
#     --output-len N --random-range-ratio R --num-prompts N --max-concurrency N
#     --result-filename NAME --result-dir DIR [--use-chat-template]
#     [--tokenizer NAME_OR_PATH] [--server-pid PID] [--bench-serving-dir DIR]
# Runs loadgen with the project's fixed benchmark settings (random dataset,
# every request sent at once up to the concurrency, 2 x concurrency warm-up
# requests, EOS ignored, TTFT/TPOT/ITL/E2EL percentiles) and writes
# DIR/NAME.json. With --server-pid, stops the benchmark and fails as soon as
# the server process dies.
run_benchmark_serving() {
    local model="" port="" backend="" input_len="" output_len="" ratio="" num_prompts=""
    local max_conc="" out_name="" result_dir="" watch_pid="" chat_template=false tokenizer=""
    local loadgen="${LOADGEN_BIN:-$WORKSPACE_DIR/bin/loadgen}" restore
    restore=$(_xtrace_state)
    set +x
    while (($# > 0)); do
        case "$1" in
            --model) model=$2; shift 2 ;;
            --port) port=$2; shift 2 ;;
            --backend) backend=$2; shift 2 ;;
            --input-len) input_len=$2; shift 2 ;;
            --output-len) output_len=$2; shift 2 ;;
            --random-range-ratio) ratio=$2; shift 2 ;;
            --num-prompts) num_prompts=$2; shift 2 ;;
            --max-concurrency) max_conc=$2; shift 2 ;;
            --result-filename) out_name=$2; shift 2 ;;
            --result-dir) result_dir=$2; shift 2 ;;
            --server-pid) watch_pid=$2; shift 2 ;;
            --bench-serving-dir) loadgen="$2/bin/loadgen"; shift 2 ;;
            --use-chat-template) chat_template=true; shift ;;
            --tokenizer) tokenizer=$2; shift 2 ;;
            *) echo "run_benchmark_serving: unknown argument $1" >&2; $restore; return 1 ;;
        esac
    done
    local flag
    for flag in model port backend input_len output_len ratio num_prompts max_conc out_name result_dir; do
        if [[ -z "${!flag}" ]]; then
            echo "run_benchmark_serving: missing a value for $flag (see the usage above the function)" >&2
            $restore
            return 1
        fi
    done

    local cmd=(
        "$loadgen"
        --model "$model"
        --backend "$backend"
        --base-url "http://127.0.0.1:${port}"
        --dataset-name random
        --random-input-len "$input_len"
        --random-output-len "$output_len"
        --random-range-ratio "$ratio"
        --num-prompts "$num_prompts"
        --max-concurrency "$max_conc"
        --request-rate inf
        --ignore-eos
        --save-result
        --num-warmups "$((2 * max_conc))"
        --percentile-metrics 'ttft,tpot,itl,e2el'
        --result-dir "$result_dir"
        --result-filename "${out_name}.json"
    )
    if [[ "$chat_template" == true ]]; then
        cmd+=(--use-chat-template)
    fi
    if [[ -n "$tokenizer" ]]; then
        cmd+=(--tokenizer "$tokenizer")
    fi
    echo "+ ${cmd[*]}"

    local status=0
    if [[ -z "$watch_pid" ]]; then
        "${cmd[@]}" || status=$?
        $restore
        return "$status"
    fi

    "${cmd[@]}" &
    local bench_pid=$!
    while kill -0 "$bench_pid" 2>/dev/null; do
        if ! kill -0 "$watch_pid" 2>/dev/null; then
            echo "error: the server (pid $watch_pid) died during the benchmark" >&2
            kill "$bench_pid" 2>/dev/null
            wait "$bench_pid" 2>/dev/null
            $restore
            return 1
        fi
        sleep 1
    done
    wait "$bench_pid" || status=$?
    $restore
    return "$status"
}

# run_standard_benchmark --backend vllm|openai [--use-chat-template]
# The common end of every single-node script: waits for the server started as
# $SERVER_PID, runs the job's load (CONC x 10 prompts at concurrency CONC)
# into $WORKSPACE_DIR/$RESULT_FILENAME.json and, when RUN_EVAL is true, the
# eval, whose files are moved into the working directory for upload; then
# stops the GPU monitor the script started (start_gpu_monitor). Returns
# the benchmark's status, so it is the last command of a script. TOKENIZER,
# when set, names the tokenizer if it is not the model's.
run_standard_benchmark() {
    local backend="" chat=()
    while (($# > 0)); do
        case "$1" in
            --backend) backend=$2; shift 2 ;;
            --use-chat-template) chat=(--use-chat-template); shift ;;
            *) echo "run_standard_benchmark: unknown argument $1" >&2; return 1 ;;
        esac
    done
    check_env_vars MODEL ISL OSL CONC RANDOM_RANGE_RATIO RESULT_FILENAME SERVER_PID
    wait_for_server_ready --port "$PORT" --server-log "$SERVER_LOG" --server-pid "$SERVER_PID" \
        --sleep-interval "${HEALTH_POLL_INTERVAL:-5}"
    run_benchmark_serving \
        --model "$MODEL" \
        --port "$PORT" \
        --backend "$backend" \
        --input-len "$ISL" \
        --output-len "$OSL" \
        --random-range-ratio "$RANDOM_RANGE_RATIO" \
        --num-prompts "$((CONC * 10))" \
        --max-concurrency "$CONC" \
        --result-filename "$RESULT_FILENAME" \
        --result-dir "$WORKSPACE_DIR" \
        --server-pid "$SERVER_PID" \
        ${TOKENIZER:+--tokenizer "$TOKENIZER"} \
        "${chat[@]}" || {
        local status=$?
        stop_gpu_monitor
        return "$status"
    }

    # A failed eval leaves the throughput result standing: the job still
    # uploads it, and `collect evals` reports the eval job without results.
    if [[ "${RUN_EVAL:-false}" == true ]]; then
        if run_eval --framework lm-eval --port "$PORT" --concurrent-requests "$CONC"; then
            append_lm_eval_summary
        else
            echo "::warning::the eval of $RESULT_FILENAME failed; the benchmark result stands"
        fi
    fi
    stop_gpu_monitor
}

# start_trtllm_serve OPTIONS [ARG...] starts TensorRT-LLM's server (one MPI
# rank, PyTorch backend) for $MODEL on $PORT with tensor and expert
# parallelism $TP and $EP_SIZE and the extra LLM API options file OPTIONS;
# ARGs go between the fixed flags and the parallelism. Output goes to
# $SERVER_LOG; SERVER_PID is the server.
start_trtllm_serve() {
    local options=$1
    shift
    set -x
    mpirun -n 1 --oversubscribe --allow-run-as-root \
        trtllm-serve "$MODEL" --port="$PORT" \
        --trust_remote_code \
        --backend=pytorch \
        "$@" \
        --tp_size="$TP" --ep_size="$EP_SIZE" \
        --extra_llm_api_options="$options" \
        >"$SERVER_LOG" 2>&1 &
    SERVER_PID=$!
    set +x
}

# capture_token_sizes MAX prints the token counts TensorRT-LLM captures
# piecewise CUDA graphs for: powers of two to 128, then every multiple of 256
# below MAX, then MAX itself, as "1, 2, 4, ...".
capture_token_sizes() {
    local max=$1 sizes=(1 2 4 8 16 32 64 128) n
    for ((n = 256; n < max; n += 256)); do
        sizes+=("$n")
    done
    sizes+=("$max")
    local IFS=,
    local joined="${sizes[*]}"
    echo "${joined//,/, }"
}

# rocm_scratch_reclaim_workaround sets HSA_NO_SCRATCH_RECLAIM=1 when the GPU's
# MEC firmware is older than version 177 (or cannot be read): older firmware
# hangs or slows down when the runtime reclaims scratch memory.
rocm_scratch_reclaim_workaround() {
    local version
    version=$(rocm-smi --showfw 2>/dev/null | grep MEC | head -n 1 | awk '{print $NF}')
    if [[ ! "$version" =~ ^[0-9]+$ ]] || ((version < 177)); then
        export HSA_NO_SCRATCH_RECLAIM=1
    fi
}

# ---------------------------------------------------------------------------
# Evals (lm-eval-harness against the running server)
# ---------------------------------------------------------------------------

# The lm-eval-harness revision the evals were validated with.
LM_EVAL_REF=b315ef3b05176acc9732bb7fdec116abe1ecc476

_install_lm_eval() {
    python3 -m pip install -q --no-cache-dir --break-system-packages "lm-eval[api]" || true
    local src="git+https://github.com/EleutherAI/lm-evaluation-harness.git@${LM_EVAL_REF}"
    if ! command -v git >/dev/null 2>&1; then
        src="https://github.com/EleutherAI/lm-evaluation-harness/archive/${LM_EVAL_REF}.tar.gz"
    fi
    python3 -m pip install -q --no-cache-dir --no-deps --break-system-packages "$src" || true
}

# _lm_eval_compat_dir writes a sitecustomize.py that adapts lm-eval to the
# servers under test and prints its directory (to prepend to PYTHONPATH):
#  - reasoning models may answer with an empty `content` and the text in
#    `reasoning_content`: take that instead of scoring an empty answer;
#  - TensorRT-LLM rejects chat messages whose content lists carry
#    "type": "text" parts: send the messages as plain role/content pairs.
_lm_eval_compat_dir() {
    local dir
    dir=$(mktemp -d)
    cat >"$dir/sitecustomize.py" <<'PY'
import json

try:
    from lm_eval.models.openai_completions import LocalChatCompletion

    def _answers(outputs, **_):
        if not isinstance(outputs, list):
            outputs = [outputs]
        texts = []
        for out in outputs or []:
            try:
                choices = out.get("choices", [])
                got = [""] * len(choices)
                for choice in choices:
                    message = choice.get("message") or {}
                    text = message.get("content")
                    if not text:
                        text = message.get("reasoning_content") or ""
                    got[choice.get("index", 0)] = text
            except Exception:
                got = [""]
            texts.extend(got)
        return texts

    LocalChatCompletion.parse_generations = staticmethod(_answers)
except Exception:
    pass

try:
    from lm_eval.models import api_models

    def _chat(self, chat_history, add_generation_prompt=True):
        if self.tokenizer_backend == "huggingface" and self.tokenized_requests:
            return self.tokenizer.apply_chat_template(
                chat_history,
                tokenize=False,
                add_generation_prompt=add_generation_prompt,
                continue_final_message=not add_generation_prompt,
            )
        if self.tokenizer_backend == "remote" and self.tokenized_requests:
            return chat_history
        return api_models.JsonChatStr(
            json.dumps([dict(m) for m in chat_history], ensure_ascii=False)
        )

    api_models.TemplateAPI.apply_chat_template = _chat
except Exception:
    pass
PY
    echo "$dir"
}

# run_lm_eval [--port P] [--task T] [--num-fewshot N] [--results-dir DIR]
#     [--gen-max-tokens N] [--temperature T] [--top-p P] [--concurrent-requests N]
# Runs task T (benchmarks/evals/T.yaml, default gsm8k) through the server's
# chat completions endpoint. EVAL_RESULT_DIR is set to the output folder.
run_lm_eval() {
    local port=${PORT:-8888} task=${EVAL_TASK:-gsm8k} fewshot=${NUM_FEWSHOT:-2}
    local results_dir=${EVAL_RESULT_DIR:-} max_tokens=16384 temperature=0 top_p=1 concurrent=32
    while (($# > 0)); do
        case "$1" in
            --port) port=$2; shift 2 ;;
            --task) task=$2; shift 2 ;;
            --num-fewshot) fewshot=$2; shift 2 ;;
            --results-dir) results_dir=$2; shift 2 ;;
            --gen-max-tokens) max_tokens=$2; shift 2 ;;
            --temperature) temperature=$2; shift 2 ;;
            --top-p) top_p=$2; shift 2 ;;
            --concurrent-requests) concurrent=$2; shift 2 ;;
            *) echo "run_lm_eval: unknown argument $1" >&2; return 1 ;;
        esac
    done
    if [[ -z "$results_dir" ]]; then
        results_dir=$(mktemp -d /tmp/eval_out-XXXXXX)
    fi
    local task_file="$BENCHMARK_LIB_DIR/evals/${task}.yaml"
    if [[ ! -f "$task_file" ]]; then
        echo "run_lm_eval: no task definition $task_file" >&2
        return 1
    fi

    _install_lm_eval
    local compat
    compat=$(_lm_eval_compat_dir)
    export PYTHONPATH="${compat}${PYTHONPATH:+:$PYTHONPATH}"
    export OPENAI_API_KEY=${OPENAI_API_KEY:-EMPTY}
    export EVAL_RESULT_DIR=$results_dir
    local model_name=${MODEL_NAME:-$MODEL}
    local base="http://127.0.0.1:${port}/v1/chat/completions"

    python3 -m lm_eval --model local-chat-completions --apply_chat_template \
        --tasks "$task_file" \
        --num_fewshot "$fewshot" \
        --output_path "$results_dir" \
        --model_args "model=${model_name},base_url=${base},api_key=${OPENAI_API_KEY},eos_string=</s>,max_retries=5,num_concurrent=${concurrent},timeout=600,tokenized_requests=False,max_length=${max_tokens}" \
        --gen_kwargs "max_tokens=8192,temperature=${temperature},top_p=${top_p}"
}

# run_eval [--framework lm-eval] ARGS... runs an eval framework (only
# lm-eval-harness so far; EVAL_FRAMEWORK sets the default) with ARGS.
run_eval() {
    local framework=${EVAL_FRAMEWORK:-lm-eval} args=()
    while (($# > 0)); do
        case "$1" in
            --framework) framework=$2; shift 2 ;;
            *) args+=("$1"); shift ;;
        esac
    done
    case "$framework" in
        lm-eval | lm_eval) run_lm_eval "${args[@]}" ;;
        *) echo "run_eval: unknown eval framework '$framework'" >&2; return 1 ;;
    esac
}

# _json_string prints its argument as a JSON string literal.
_json_string() {
    local s=$1
    s=${s//\\/\\\\}
    s=${s//\"/\\\"}
    s=${s//$'\n'/\\n}
    s=${s//$'\t'/\\t}
    printf '"%s"' "$s"
}

# append_lm_eval_summary writes meta_env.json (which job the eval belongs to,
# read by `collect evals`) and moves it and every eval output file from
# $EVAL_RESULT_DIR into the working directory, where the workflow uploads them.
append_lm_eval_summary() {
    local dir=${EVAL_RESULT_DIR:?append_lm_eval_summary: EVAL_RESULT_DIR is not set}
    mkdir -p "$dir"
    local dp=false
    if [[ "${DP_ATTENTION:-}" == true ]]; then dp=true; fi
    {
        printf '{\n'
        printf '  "framework": %s,\n' "$(_json_string "${FRAMEWORK:-unknown}")"
        printf '  "precision": %s,\n' "$(_json_string "${PRECISION:-unknown}")"
        printf '  "spec_decoding": %s,\n' "$(_json_string "${SPEC_DECODING:-}")"
        printf '  "tp": %d,\n' "${TP:-1}"
        printf '  "conc": %d,\n' "${CONC:-1}"
        printf '  "ep": %d,\n' "${EP_SIZE:-1}"
        printf '  "dp_attention": %s,\n' "$dp"
        printf '  "model": %s,\n' "$(_json_string "${MODEL_NAME:-${MODEL:-}}")"
        printf '  "hw": %s,\n' "$(_json_string "${RUNNER_TYPE:-unknown}")"
        printf '  "isl": %s,\n' "$(_json_string "${ISL:-0}")"
        printf '  "osl": %s\n' "$(_json_string "${OSL:-0}")"
        printf '}\n'
    } >"$dir/meta_env.json"

    local f
    while IFS= read -r -d '' f; do
        mv -f "$f" ./
    done < <(find "$dir" -type f -name '*.json*' -print0)
    rm -rf "$dir"
    echo "eval results are in $(pwd)"
}
