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
# the server process dies. An eval-only job (EVAL_ONLY=true) has no
# throughput run: the call returns at once.
run_benchmark_serving() {
    if [[ "${EVAL_ONLY:-false}" == true ]]; then
        echo "eval-only job: no throughput run"
        return 0
    fi
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
#
# An eval-only job (EVAL_ONLY=true) skips the load and runs the eval at
# EVAL_CONC (else CONC; a list is a batched eval), and returns the eval's
# status: its files are in the working directory either way.
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
    if [[ "${EVAL_ONLY:-false}" == true ]]; then
        echo "eval-only job: no throughput run"
        export EVAL_CONCURRENT_REQUESTS=${EVAL_CONCURRENT_REQUESTS:-${EVAL_CONC:-$CONC}}
        local status=0
        run_eval --framework lm-eval --port "$PORT" || status=$?
        append_lm_eval_summary || status=$((status == 0 ? 1 : status))
        return "$status"
    fi
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
        if EVAL_CONCURRENT_REQUESTS=${EVAL_CONCURRENT_REQUESTS:-$CONC} run_eval --framework lm-eval --port "$PORT"; then
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

# start_sim_server URL_FILE [ARG...] starts loadgen's simulated server for
# $MODEL on a free port (ARGs after the fixed flags, --tokenizer $TOKENIZER
# when set), its log in $SERVER_LOG. The server prints its address first, into
# URL_FILE; this waits for it and sets SERVER_PID and PORT. The script itself
# is the only thing that tears this "stack" down, so it kills the server on
# exit.
start_sim_server() {
    local url_file=$1
    shift
    local loadgen=${LOADGEN_BIN:-$WORKSPACE_DIR/bin/loadgen}
    local tokenizer_args=()
    if [[ -n "${TOKENIZER:-}" ]]; then
        tokenizer_args=(--tokenizer "$TOKENIZER")
    fi
    rm -f "$url_file"
    set -x
    "$loadgen" sim-server --port 0 --model "$MODEL" "$@" "${tokenizer_args[@]}" \
        >"$url_file" 2>"$SERVER_LOG" &
    SERVER_PID=$!
    set +x
    trap 'kill "$SERVER_PID" 2>/dev/null' EXIT

    local url
    for _ in {1..200}; do
        if [[ -s "$url_file" ]] || ! kill -0 "$SERVER_PID" 2>/dev/null; then
            break
        fi
        sleep 0.05
    done
    url=$(head -n 1 "$url_file" 2>/dev/null)
    if [[ ! "$url" =~ :([0-9]+)$ ]]; then
        echo "error: the simulated server did not start:" >&2
        cat "$SERVER_LOG" >&2
        return 1
    fi
    PORT=${BASH_REMATCH[1]}
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
#
# An eval job is a benchmark job with EVAL_ONLY=true: the script starts the
# server with the eval's context length (setup_eval_context), the throughput
# run is skipped, and run_eval asks the server the task's questions with
# lm-eval-harness at EVAL_CONCURRENT_REQUESTS (the job's CONC, or the
# workflow's EVAL_CONC). A list of concurrencies ("16 64 256") is a batched
# eval: one lm-eval run per concurrency against the same server, each
# run's files staged with a _conc<N> suffix. append_lm_eval_summary then
# writes meta_env.json (which job the eval belongs to, and for a batched
# eval which concurrencies were asked for, completed and failed) and moves
# the files into the working directory, where the workflow uploads them and
# the accuracy gate (collect evals --thresholds) judges them.
#
# Environment: EVAL_ONLY, EVAL_CONC, EVAL_CONCURRENT_REQUESTS,
# EVAL_MAX_MODEL_LEN, EVAL_TASKS_DIR (default benchmarks/evals/gsm8k.yaml),
# EVAL_RESULT_DIR, EVAL_LIMIT (first N questions; empty, "full" or 0 for
# all), EVAL_FRAMEWORK (lm-eval). LM_EVAL_STANDIN=1 (the simulated runner)
# lets `loadgen sim-eval` stand in where lm_eval is not installed.
# ---------------------------------------------------------------------------

# The lm-eval-harness revision the evals were validated with.
LM_EVAL_REF=b315ef3b05176acc9732bb7fdec116abe1ecc476

_install_lm_eval() {
    # torchvision breaks ATOM's imports; the other images need it.
    if [[ "${IMAGE:-}" == *atom* ]]; then
        python3 -m pip uninstall -y torchvision 2>/dev/null || true
    fi
    python3 -m pip install -q --no-cache-dir --break-system-packages "lm-eval[api]" || true
    local src="git+https://github.com/EleutherAI/lm-evaluation-harness.git@${LM_EVAL_REF}"
    if ! command -v git >/dev/null 2>&1; then
        src="https://github.com/EleutherAI/lm-evaluation-harness/archive/${LM_EVAL_REF}.tar.gz"
    fi
    python3 -m pip install -q --no-cache-dir --no-deps --force-reinstall --break-system-packages "$src" || true
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


# get_native_max_context_length MODEL prints the longest context the model
# was built for (its Hugging Face config's max_position_embeddings or
# equivalent; MODEL_PATH, when it is a directory, is read instead of MODEL),
# or 0 when it cannot be read.
get_native_max_context_length() {
    local model=$1
    if [[ -n "${MODEL_PATH:-}" && -d "${MODEL_PATH}" ]]; then
        model=$MODEL_PATH
    fi
    if ! command -v python3 >/dev/null 2>&1; then
        echo 0
        return
    fi
    python3 - "$model" <<'PY' 2>/dev/null || echo 0
import sys
try:
    from transformers import AutoConfig
    config = AutoConfig.from_pretrained(sys.argv[1], trust_remote_code=True)
    for attr in ("max_position_embeddings", "max_sequence_length", "seq_length", "n_positions"):
        if hasattr(config, attr):
            print(int(getattr(config, attr)))
            break
    else:
        print(0)
except Exception:
    print(0)
PY
}

# compute_eval_context_length MODEL [BENCHMARK_CONTEXT] prints the context
# length an eval-only server gets: the benchmark's context (the model's own
# when 0), never more than the model was built for, else MAX_MODEL_LEN, else
# 16384. It also sets EVAL_MAX_MODEL_LEN when not run in a subshell.
compute_eval_context_length() {
    local model=$1 ctx=${2:-0} native
    native=$(get_native_max_context_length "$model")
    [[ "$native" =~ ^[0-9]+$ ]] || native=0
    [[ "$ctx" =~ ^[0-9]+$ ]] || ctx=0
    if ((ctx == 0)); then
        ctx=$native
    fi
    if ((native > 0 && ctx > native)); then
        ctx=$native
    fi
    if ((ctx <= 0)); then
        echo "warning: cannot tell the context length of $model for the eval; using ${MAX_MODEL_LEN:-16384}" >&2
        ctx=${MAX_MODEL_LEN:-16384}
    fi
    EVAL_MAX_MODEL_LEN=$ctx
    echo "$ctx"
}

# setup_eval_context exports EVAL_MAX_MODEL_LEN for an eval-only job: the
# job's sequence lengths plus 256 tokens, capped at the model's own limit.
# A script calls it (not in a subshell) before starting its server and
# passes $EVAL_MAX_MODEL_LEN as the server's context length.
setup_eval_context() {
    EVAL_MAX_MODEL_LEN=$(compute_eval_context_length "$MODEL" "$((ISL + OSL + 256))")
    export EVAL_MAX_MODEL_LEN
    echo "eval context length: $EVAL_MAX_MODEL_LEN"
}

# eval_context_override NAME... sets each named variable to the eval's
# context length in an eval-only job (computing it with setup_eval_context
# first) and does nothing otherwise: for scripts that pass the context
# length (and TensorRT-LLM's token budget) to the server in variables.
eval_context_override() {
    [[ "${EVAL_ONLY:-false}" == true ]] || return 0
    [[ -n "${EVAL_MAX_MODEL_LEN:-}" ]] || setup_eval_context
    local name
    for name in "$@"; do
        if [[ ! "$name" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]]; then
            echo "eval_context_override: '$name' is not a variable name" >&2
            return 1
        fi
        printf -v "$name" '%s' "$EVAL_MAX_MODEL_LEN"
    done
}

# eval_context_args FLAG sets EVAL_CONTEXT_ARGS to (FLAG <eval context
# length>) in an eval-only job and to () otherwise: for scripts whose
# server command gains the flag only for evals ("${EVAL_CONTEXT_ARGS[@]}").
# shellcheck disable=SC2034 # EVAL_CONTEXT_ARGS is read by the benchmark scripts
eval_context_args() {
    EVAL_CONTEXT_ARGS=()
    [[ "${EVAL_ONLY:-false}" == true ]] || return 0
    [[ -n "${EVAL_MAX_MODEL_LEN:-}" ]] || setup_eval_context
    EVAL_CONTEXT_ARGS=("$1" "$EVAL_MAX_MODEL_LEN")
}

# _lm_eval_installed succeeds when python3 can import lm_eval.
_lm_eval_installed() {
    command -v python3 >/dev/null 2>&1 && python3 -c 'import lm_eval' >/dev/null 2>&1
}

# _eval_task_file NAME_OR_PATH prints the task YAML: a path as given (or,
# when relative and missing, from the repository root), a bare name as
# benchmarks/evals/NAME.yaml.
_eval_task_file() {
    local task=$1 root
    root=$(cd "$BENCHMARK_LIB_DIR/.." && pwd)
    if [[ "$task" != *.yaml && "$task" != *.yml ]]; then
        task="$BENCHMARK_LIB_DIR/evals/${task}.yaml"
    elif [[ "$task" != /* && ! -f "$task" && -f "$root/$task" ]]; then
        task="$root/$task"
    fi
    if [[ ! -f "$task" ]]; then
        echo "run_lm_eval: no task definition $task" >&2
        return 1
    fi
    printf '%s\n' "$task"
}

# run_lm_eval [--port P] [--task NAME_OR_YAML] [--results-dir DIR]
#     [--gen-max-tokens N] [--temperature T] [--top-p P]
# Runs one lm-eval task (EVAL_TASKS_DIR, default gsm8k) through the server's
# chat completions endpoint at EVAL_CONCURRENT_REQUESTS (else CONC, else 64)
# requests at once, with EVAL_MAX_MODEL_LEN (--gen-max-tokens) as the
# context: answers get that less 4096 tokens (half of it when it is
# shorter), at most 16384. EVAL_RESULT_DIR is set to the output folder.
run_lm_eval() {
    local port=${PORT:-8888} task=${EVAL_TASKS_DIR:-gsm8k} results_dir=${EVAL_RESULT_DIR:-}
    local ctx=${EVAL_MAX_MODEL_LEN:-16384} temperature=0 top_p=1
    local conc=${EVAL_CONCURRENT_REQUESTS:-${CONC:-64}} limit=${EVAL_LIMIT:-}
    while (($# > 0)); do
        case "$1" in
            --port | --task | --results-dir | --gen-max-tokens | --temperature | --top-p)
                if (($# < 2)) || [[ -z "$2" || "$2" == --* ]]; then
                    echo "run_lm_eval: $1 needs a value" >&2
                    return 2
                fi
                case "$1" in
                    --port) port=$2 ;;
                    --task) task=$2 ;;
                    --results-dir) results_dir=$2 ;;
                    --gen-max-tokens) ctx=$2 ;;
                    --temperature) temperature=$2 ;;
                    --top-p) top_p=$2 ;;
                esac
                shift 2
                ;;
            *) echo "run_lm_eval: unknown argument $1" >&2; return 2 ;;
        esac
    done
    if [[ ! "$conc" =~ ^[1-9][0-9]*$ ]]; then
        echo "run_lm_eval: the eval concurrency must be one positive integer, got '$conc' (run_eval runs a list)" >&2
        return 2
    fi
    if [[ ! "$ctx" =~ ^[1-9][0-9]*$ ]]; then
        echo "run_lm_eval: the eval context length must be a positive integer, got '$ctx'" >&2
        return 2
    fi
    case "$limit" in
        "" | full | 0) limit="" ;;
        *)
            if [[ ! "$limit" =~ ^[1-9][0-9]*$ ]]; then
                echo "run_lm_eval: EVAL_LIMIT must be a number of questions, full or empty, got '$limit'" >&2
                return 2
            fi
            ;;
    esac
    local task_file
    task_file=$(_eval_task_file "$task") || return 1
    if [[ -z "$results_dir" ]]; then
        results_dir=$(mktemp -d /tmp/eval_out-XXXXXX)
    fi
    export EVAL_RESULT_DIR=$results_dir
    export OPENAI_API_KEY=${OPENAI_API_KEY:-EMPTY}
    local model_name=${MODEL_NAME:-$MODEL}
    local max_tokens=$((ctx > 4096 ? ctx - 4096 : ctx / 2))
    max_tokens=$((max_tokens > 16384 ? 16384 : max_tokens))
    echo "eval: $task_file at concurrency $conc, context $ctx, answers of at most $max_tokens tokens${limit:+, first $limit questions}"

    if [[ "${LM_EVAL_STANDIN:-}" == 1 ]] && ! _lm_eval_installed; then
        # The simulated runner: no lm_eval and no network to install it.
        local loadgen="${LOADGEN_BIN:-$WORKSPACE_DIR/bin/loadgen}"
        echo "eval: lm_eval is not installed: SIMULATED eval with loadgen sim-eval"
        "$loadgen" sim-eval --base-url "http://127.0.0.1:${port}" --model "$model_name" \
            --task-file "$task_file" --output-path "$results_dir" \
            --num-concurrent "$conc" --limit "${limit:-16}" --max-tokens "$max_tokens" \
            ${SIM_EVAL_SCORE:+--score "$SIM_EVAL_SCORE"} >/dev/null
        return
    fi

    if [[ "${INFERENCEX_LM_EVAL_READY:-}" != true ]]; then
        _install_lm_eval
        local compat
        compat=$(_lm_eval_compat_dir)
        export PYTHONPATH="${compat}${PYTHONPATH:+:$PYTHONPATH}"
        export INFERENCEX_LM_EVAL_READY=true
    fi
    local base="http://127.0.0.1:${port}/v1/chat/completions"
    local args=(
        --model local-chat-completions --apply_chat_template
        --tasks "$task_file"
        --output_path "$results_dir"
        --log_samples
        --model_args "model=${model_name},base_url=${base},api_key=${OPENAI_API_KEY},eos_string=</s>,max_retries=5,num_concurrent=${conc},timeout=1800,tokenized_requests=False,max_length=${ctx}"
        --gen_kwargs "max_tokens=${max_tokens},temperature=${temperature},top_p=${top_p}"
    )
    if [[ -n "$limit" ]]; then
        args+=(--limit "$limit")
    fi
    echo "+ python3 -m lm_eval ${args[*]}"
    python3 -m lm_eval "${args[@]}"
}

# _stage_lm_eval_artifacts DIR CONC moves every JSON and JSON-lines file
# under DIR into the working directory as <name>_conc<CONC>.json[l] (a
# second file of the same name gets _2, _3, ...), then removes DIR. Fails
# when there was nothing to move or a move failed.
_stage_lm_eval_artifacts() {
    local dir=$1 conc=$2 moved=0 failed=0 f base stem ext target n
    if [[ ! -d "$dir" ]]; then
        echo "warning: the eval left no directory $dir" >&2
        return 1
    fi
    while IFS= read -r -d '' f; do
        base=$(basename "$f")
        case "$base" in
            meta_env.json) continue ;;
            *.jsonl) stem=${base%.jsonl} ext=.jsonl ;;
            *.json) stem=${base%.json} ext=.json ;;
            *) continue ;;
        esac
        target="./${stem}_conc${conc}${ext}"
        n=2
        while [[ -e "$target" ]]; do
            target="./${stem}_conc${conc}_${n}${ext}"
            n=$((n + 1))
        done
        if mv -f "$f" "$target"; then
            moved=1
        else
            echo "warning: could not stage $f" >&2
            failed=1
        fi
    done < <(find "$dir" -type f \( -name '*.json' -o -name '*.jsonl' \) -print0 2>/dev/null | sort -z)
    rm -rf "$dir"
    if ((moved == 0)); then
        echo "warning: the eval at concurrency $conc left no files" >&2
        return 1
    fi
    return "$failed"
}

# run_eval [--framework lm-eval] ARGS... runs the job's eval (EVAL_FRAMEWORK
# overrides --framework; only lm-eval-harness is supported). With several
# concurrencies in EVAL_CONCURRENT_REQUESTS it runs one eval per
# concurrency against the running server, stages each one's files, and
# records in EVAL_BATCHED_CONCS, EVAL_BATCHED_COMPLETED_CONCS and
# EVAL_BATCHED_FAILED_CONCS what append_lm_eval_summary writes down; a
# failed concurrency does not fail the call, so that the other files are
# uploaded first and the accuracy gate fails the job after.
run_eval() {
    local framework=lm-eval args=()
    while (($# > 0)); do
        case "$1" in
            --framework)
                if (($# < 2)) || [[ -z "$2" || "$2" == --* ]]; then
                    echo "run_eval: --framework needs a value" >&2
                    return 2
                fi
                framework=$2
                shift 2
                ;;
            *) args+=("$1"); shift ;;
        esac
    done
    framework=${EVAL_FRAMEWORK:-$framework}
    case "$framework" in
        lm-eval | lm_eval) ;;
        *) echo "run_eval: unknown eval framework '$framework' (lm-eval is the one supported)" >&2; return 1 ;;
    esac
    if [[ -z "${EVAL_MAX_MODEL_LEN:-}" ]]; then
        compute_eval_context_length "$MODEL" "${MAX_MODEL_LEN:-0}" >/dev/null
        export EVAL_MAX_MODEL_LEN
    fi
    unset EVAL_BATCHED_CONCS EVAL_BATCHED_COMPLETED_CONCS EVAL_BATCHED_FAILED_CONCS

    local concs=()
    read -r -a concs <<<"${EVAL_CONCURRENT_REQUESTS:-}"
    if ((${#concs[@]} <= 1)); then
        run_lm_eval "${args[@]}"
        return
    fi

    local requested="${concs[*]}" conc dir completed=() failed=() eval_rc stage_rc
    for conc in "${concs[@]}"; do
        if [[ ! "$conc" =~ ^[1-9][0-9]*$ ]]; then
            echo "run_eval: invalid eval concurrency '$conc' in '$requested'" >&2
            return 2
        fi
    done
    for conc in "${concs[@]}"; do
        if ! dir=$(mktemp -d "/tmp/eval_out-conc${conc}-XXXXXX"); then
            failed+=("$conc")
            continue
        fi
        echo "eval: concurrency $conc of $requested, against the same server"
        eval_rc=0 stage_rc=0
        EVAL_CONCURRENT_REQUESTS=$conc CONC=$conc run_lm_eval "${args[@]}" --results-dir "$dir" || eval_rc=$?
        _stage_lm_eval_artifacts "$dir" "$conc" || stage_rc=$?
        if ((eval_rc == 0 && stage_rc == 0)); then
            completed+=("$conc")
        else
            echo "error: the eval at concurrency $conc failed (eval exit $eval_rc, staging exit $stage_rc)" >&2
            failed+=("$conc")
        fi
    done
    export EVAL_RESULT_DIR=""
    export EVAL_BATCHED_CONCS="$requested"
    export EVAL_BATCHED_COMPLETED_CONCS="${completed[*]}"
    export EVAL_BATCHED_FAILED_CONCS="${failed[*]}"
    if ((${#failed[@]} > 0)); then
        echo "error: the batched eval failed at concurrency ${failed[*]}; the files go up first, the gate fails the job" >&2
    fi
    return 0
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

# _json_int NAME VALUE prints VALUE when it is an integer, else fails
# naming the variable: meta_env.json must stay JSON.
_json_int() {
    if [[ ! "$2" =~ ^-?[0-9]+$ ]]; then
        echo "append_lm_eval_summary: $1 must be an integer, got '$2'" >&2
        return 1
    fi
    printf '%s' "$2"
}

# _json_bool VALUE prints true for true/1/yes/on (any case), else false.
_json_bool() {
    case "${1,,}" in
        true | 1 | yes | on) printf true ;;
        *) printf false ;;
    esac
}

# _json_int_list "4 8" prints [4, 8]; fails on anything but positive integers.
_json_int_list() {
    local v out=""
    for v in $1; do
        if [[ ! "$v" =~ ^[1-9][0-9]*$ ]]; then
            echo "append_lm_eval_summary: invalid eval concurrency '$v'" >&2
            return 1
        fi
        out+="${out:+, }$v"
    done
    printf '[%s]' "$out"
}

# _lm_eval_meta_json CONC [BATCH_FIELDS] prints meta_env.json: the job's
# identity (model, prefix, hardware, framework, precision, parallelism of
# the whole job and of its prefill and decode workers, recipe fingerprint,
# sequence lengths) and its concurrency.
_lm_eval_meta_json() {
    local conc=$1 batch=${2:-} multi=false
    if [[ "${IS_MULTINODE:-false}" == true ]]; then multi=true; fi
    # A multi-node job's prefill side stands for the job, as upstream's
    # collector reads it; a single-node job is its own prefill and decode.
    local tp=${TP:-1} ep=${EP_SIZE:-1} dpa=${DP_ATTENTION:-false}
    if [[ "$multi" == true ]]; then
        tp=${PREFILL_TP:-$tp}
        ep=${PREFILL_EP:-$ep}
        dpa=${PREFILL_DP_ATTN:-${PREFILL_DP_ATTENTION:-$dpa}}
    fi
    local pp=${PP_SIZE:-1} dcp=${DCP_SIZE:-1} pcp=${PCP_SIZE:-1}
    local fields=(
        "is_multinode" "$multi"
        "framework" "$(_json_string "${FRAMEWORK:-unknown}")"
        "precision" "$(_json_string "${PRECISION:-unknown}")"
        "spec_decoding" "$(_json_string "${SPEC_DECODING:-}")"
        "recipe_fingerprint" "$(_json_string "${RECIPE_FINGERPRINT:-}")"
        "tp" "$(_json_int TP "$tp")"
        "pp" "$(_json_int PP_SIZE "$pp")"
        "dcp_size" "$(_json_int DCP_SIZE "$dcp")"
        "pcp_size" "$(_json_int PCP_SIZE "$pcp")"
        "conc" "$(_json_int CONC "$conc")"
    )
    local name value i
    printf '{\n'
    for ((i = 0; i < ${#fields[@]}; i += 2)); do
        [[ -n "${fields[i + 1]}" ]] || return 1
        printf '  "%s": %s,\n' "${fields[i]}" "${fields[i + 1]}"
    done
    printf '%s' "$batch"
    fields=(
        "ep" "$(_json_int EP_SIZE "$ep")"
        "dp_attention" "$(_json_bool "$dpa")"
        "prefill_tp" "$(_json_int PREFILL_TP "${PREFILL_TP:-$tp}")"
        "prefill_pp" "$(_json_int PREFILL_PP_SIZE "${PREFILL_PP_SIZE:-$pp}")"
        "prefill_dcp_size" "$(_json_int PREFILL_DCP_SIZE "${PREFILL_DCP_SIZE:-$dcp}")"
        "prefill_pcp_size" "$(_json_int PREFILL_PCP_SIZE "${PREFILL_PCP_SIZE:-$pcp}")"
        "prefill_ep" "$(_json_int PREFILL_EP "${PREFILL_EP:-$ep}")"
        "prefill_dp_attention" "$(_json_bool "${PREFILL_DP_ATTN:-${PREFILL_DP_ATTENTION:-$dpa}}")"
        "prefill_num_workers" "$(_json_int PREFILL_NUM_WORKERS "${PREFILL_NUM_WORKERS:-1}")"
        "decode_tp" "$(_json_int DECODE_TP "${DECODE_TP:-$tp}")"
        "decode_pp" "$(_json_int DECODE_PP_SIZE "${DECODE_PP_SIZE:-$pp}")"
        "decode_dcp_size" "$(_json_int DECODE_DCP_SIZE "${DECODE_DCP_SIZE:-$dcp}")"
        "decode_pcp_size" "$(_json_int DECODE_PCP_SIZE "${DECODE_PCP_SIZE:-$pcp}")"
        "decode_ep" "$(_json_int DECODE_EP "${DECODE_EP:-$ep}")"
        "decode_dp_attention" "$(_json_bool "${DECODE_DP_ATTN:-${DECODE_DP_ATTENTION:-$dpa}}")"
        "decode_num_workers" "$(_json_int DECODE_NUM_WORKERS "${DECODE_NUM_WORKERS:-1}")"
        "model" "$(_json_string "${MODEL_NAME:-${MODEL:-}}")"
        "infmax_model_prefix" "$(_json_string "${MODEL_PREFIX:-unknown}")"
        "hw" "$(_json_string "${RUNNER_TYPE:-unknown}")"
        "isl" "$(_json_string "${ISL:-0}")"
        "osl" "$(_json_string "${OSL:-0}")"
    )
    for ((i = 0; i < ${#fields[@]}; i += 2)); do
        [[ -n "${fields[i + 1]}" ]] || return 1
        name=${fields[i]} value=${fields[i + 1]}
        if ((i + 2 < ${#fields[@]})); then
            printf '  "%s": %s,\n' "$name" "$value"
        else
            printf '  "%s": %s\n' "$name" "$value"
        fi
    done
    printf '}\n'
}

# append_lm_eval_summary writes meta_env.json (read by `collect evals` and
# the accuracy gate) and moves it and every eval output file from
# $EVAL_RESULT_DIR into the working directory, where the workflow uploads
# them. After a batched run_eval the files are already staged: it writes
# meta_env.json with the concurrencies asked for, completed and failed.
append_lm_eval_summary() {
    local meta
    if [[ -n "${EVAL_BATCHED_CONCS:-}" ]]; then
        local asked completed failed first
        asked=$(_json_int_list "$EVAL_BATCHED_CONCS") || return 1
        completed=$(_json_int_list "${EVAL_BATCHED_COMPLETED_CONCS:-}") || return 1
        failed=$(_json_int_list "${EVAL_BATCHED_FAILED_CONCS:-}") || return 1
        first=${EVAL_BATCHED_CONCS%% *}
        local batch
        printf -v batch '  "eval_concs": %s,\n  "completed_eval_concs": %s,\n  "failed_eval_concs": %s,\n' \
            "$asked" "$completed" "$failed"
        meta=$(_lm_eval_meta_json "$first" "$batch") || return 1
        printf '%s\n' "$meta" >./meta_env.json
        echo "batched eval files and meta_env.json are in $(pwd)"
        return 0
    fi
    local dir=${EVAL_RESULT_DIR:-}
    if [[ -z "$dir" ]]; then
        echo "append_lm_eval_summary: EVAL_RESULT_DIR is not set: no eval ran" >&2
        return 1
    fi
    mkdir -p "$dir"
    meta=$(_lm_eval_meta_json "${CONC:-1}") || return 1
    printf '%s\n' "$meta" >"$dir/meta_env.json"
    local f
    while IFS= read -r -d '' f; do
        mv -f "$f" ./
    done < <(find "$dir" -type f -name '*.json*' -print0)
    rm -rf "$dir"
    echo "eval results are in $(pwd)"
}

# ---------------------------------------------------------------------------
# Agentic-coding jobs (AgentX, docs/agentx.md). A script in benchmarks/agentic/
# starts its server with prefix caching (and the job's KV offload), then
#
#   resolve_trace_source
#   build_replay_cmd "$RESULT_DIR"
#   run_agentic_replay_and_write_outputs "$RESULT_DIR"
#
# which replays the traces with `loadgen replay` (AIPerf's command line),
# aggregates the artifacts with `resultproc agentic` into
# $AGENTIC_OUTPUT_DIR/$RESULT_FILENAME.json, measures the run's GPU energy
# (`resultproc power-agentic`) and checks the run's error rate. The job comes
# in through KV_OFFLOADING, KV_OFFLOAD_BACKEND, TOTAL_CPU_DRAM_GB and DURATION
# besides the usual variables; RESULT_DIR defaults to $WORKSPACE_DIR/results.
# ---------------------------------------------------------------------------

RESULT_DIR=${RESULT_DIR:-$WORKSPACE_DIR/results}
AIPERF_FAILED_REQUEST_THRESHOLD=${AIPERF_FAILED_REQUEST_THRESHOLD:-0.10}
AIPERF_LIVE_FAILED_REQUEST_THRESHOLD=${AIPERF_LIVE_FAILED_REQUEST_THRESHOLD:-$AIPERF_FAILED_REQUEST_THRESHOLD}
AIPERF_TRACE_IDLE_GAP_CAP_SECONDS=${AIPERF_TRACE_IDLE_GAP_CAP_SECONDS:-300}
export RESULT_DIR

# The trace corpora `loadgen replay --public-dataset` knows, by AIPerf loader
# name (resolve_trace_source checks WEKA_LOADER_OVERRIDE against them).
AGENTIC_TRACE_LOADERS=(
    semianalysis_cc_traces_weka_with_subagents semianalysis_cc_traces_weka_with_subagents_256k
    semianalysis_cc_traces_weka_with_subagents_060226 semianalysis_cc_traces_weka_with_subagents_060226_256k
    semianalysis_cc_traces_weka_with_subagents_060526 semianalysis_cc_traces_weka_with_subagents_060526_256k
    semianalysis_cc_traces_weka_with_subagents_060826 semianalysis_cc_traces_weka_with_subagents_060826_256k
    semianalysis_cc_traces_weka_061326 semianalysis_cc_traces_weka_061326_256k
    semianalysis_cc_traces_weka_061526 semianalysis_cc_traces_weka_061526_256k
    semianalysis_cc_traces_weka_062126 semianalysis_cc_traces_weka_062126_256k
)

# agentic_kv_offload_enabled succeeds when the job offloads KV (KV_OFFLOADING
# other than none); an unset KV_OFFLOADING is a broken job and exits 1.
agentic_kv_offload_enabled() {
    if [[ -z "${KV_OFFLOADING:-}" ]]; then
        echo "error: KV_OFFLOADING is not set: an agentic job needs none or dram" >&2
        exit 1
    fi
    [[ "$KV_OFFLOADING" != none ]]
}

# require_agentic_kv_offload_none exits 1 unless the job has no KV offload
# (for recipes that do not implement one).
require_agentic_kv_offload_none() {
    if agentic_kv_offload_enabled; then
        echo "error: this recipe runs without KV offload, but KV_OFFLOADING=$KV_OFFLOADING" >&2
        exit 1
    fi
    if [[ -n "${KV_OFFLOAD_BACKEND:-}" ]]; then
        echo "error: KV_OFFLOAD_BACKEND=$KV_OFFLOAD_BACKEND with KV_OFFLOADING=none" >&2
        exit 1
    fi
}

# require_agentic_kv_offload_backend NAME succeeds when the job offloads KV to
# DRAM through backend NAME with a positive TOTAL_CPU_DRAM_GB, and fails
# (returns 1) when it offloads nothing; any other combination exits 1.
require_agentic_kv_offload_backend() {
    local want=$1
    agentic_kv_offload_enabled || {
        if [[ -n "${KV_OFFLOAD_BACKEND:-}" ]]; then
            echo "error: KV_OFFLOAD_BACKEND=$KV_OFFLOAD_BACKEND with KV_OFFLOADING=none" >&2
            exit 1
        fi
        return 1
    }
    if [[ "$KV_OFFLOADING" != dram ]]; then
        echo "error: KV_OFFLOADING=$KV_OFFLOADING: expected none or dram" >&2
        exit 1
    fi
    if [[ "${KV_OFFLOAD_BACKEND:-}" != "$want" ]]; then
        echo "error: this recipe offloads KV through $want, but KV_OFFLOAD_BACKEND=${KV_OFFLOAD_BACKEND:-}" >&2
        exit 1
    fi
    if [[ ! "${TOTAL_CPU_DRAM_GB:-}" =~ ^[1-9][0-9]*$ ]]; then
        echo "error: DRAM KV offload needs a positive TOTAL_CPU_DRAM_GB, got '${TOTAL_CPU_DRAM_GB:-}'" >&2
        exit 1
    fi
}

# resolve_trace_source sets TRACE_SOURCE_ARGS, the replay's corpus: the
# traces at AGENTIC_TRACES (a .jsonl file or a directory; the demo's
# synthesized ones) when set, else the Hugging Face corpus of the AIPerf
# loader WEKA_LOADER_OVERRIDE, by default the 062126 corpus (its 256k-capped
# variant for model families whose context is shorter than 1M tokens).
# loadgen reads the corpus from the Hugging Face cache ($HF_HUB_CACHE), or
# downloads it there.
resolve_trace_source() {
    if [[ -n "${AGENTIC_TRACES:-}" ]]; then
        if [[ ! -e "$AGENTIC_TRACES" ]]; then
            echo "error: AGENTIC_TRACES=$AGENTIC_TRACES does not exist" >&2
            return 1
        fi
        TRACE_SOURCE_ARGS=(--input-file "$AGENTIC_TRACES")
        echo "traces: $AGENTIC_TRACES"
        return 0
    fi
    local loader
    case "${MODEL_PREFIX:-}" in
        dsv4* | glm5.2* | minimaxm3* | kimik3*) loader=semianalysis_cc_traces_weka_062126 ;;
        *) loader=semianalysis_cc_traces_weka_062126_256k ;;
    esac
    loader=${WEKA_LOADER_OVERRIDE:-$loader}
    local known
    for known in "${AGENTIC_TRACE_LOADERS[@]}"; do
        if [[ "$loader" == "$known" ]]; then
            TRACE_SOURCE_ARGS=(--public-dataset "$loader")
            echo "traces: public dataset $loader (MODEL_PREFIX=${MODEL_PREFIX:-unset})"
            return 0
        fi
    done
    echo "error: unknown WEKA_LOADER_OVERRIDE=$loader; known: ${AGENTIC_TRACE_LOADERS[*]}" >&2
    return 1
}

# build_replay_cmd RESULT_DIR sets REPLAY_CMD, the `loadgen replay` command
# line of the job: AIPerf's inferencex-agentx-mvp scenario as upstream runs
# it (docs/agentx.md explains every flag), artifacts into
# RESULT_DIR/aiperf_artifacts. Needs MODEL, CONC, DURATION and
# resolve_trace_source's TRACE_SOURCE_ARGS. AIPERF_EXPERIMENTAL_FAST=1
# shortens the run to 1200 s with one warmup request per lane.
build_replay_cmd() {
    local result_dir=$1
    check_env_vars MODEL CONC DURATION
    if ((${#TRACE_SOURCE_ARGS[@]} == 0)); then
        echo "build_replay_cmd: no trace source: call resolve_trace_source first" >&2
        return 1
    fi
    local duration=${DURATION:-}
    if [[ ! "$duration" =~ ^[0-9]+$ ]]; then
        echo "build_replay_cmd: DURATION must be whole seconds, got '$duration'" >&2
        return 1
    fi
    local warmup=${AIPERF_WARMUP_REQUESTS_PER_LANE:-10}
    if [[ "${AIPERF_EXPERIMENTAL_FAST:-0}" == 1 ]]; then
        duration=1200
        warmup=1
    fi
    REPLAY_CMD=(
        "${LOADGEN_BIN:-$WORKSPACE_DIR/bin/loadgen}" replay --scenario inferencex-agentx-mvp
        --url "${AIPERF_SERVER_URL:-http://localhost:$PORT}"
        --endpoint /v1/chat/completions --endpoint-type chat --streaming
        --model "${SERVED_MODEL_NAME:-$MODEL}"
        --tokenizer "${TOKENIZER:-$MODEL}"
        --concurrency "$CONC"
        --benchmark-duration "$duration"
        --stats-interval 30 --random-seed 42
        --failed-request-threshold "$AIPERF_LIVE_FAILED_REQUEST_THRESHOLD"
        --trajectory-start-min-ratio 0.25 --trajectory-start-max-ratio 0.75
        --warmup-requests-per-lane "$warmup"
        --trace-idle-gap-cap-seconds "$AIPERF_TRACE_IDLE_GAP_CAP_SECONDS"
        --warmup-grace-period "${AGENTIC_WARMUP_GRACE_PERIOD:-1800}"
        --use-server-token-count
    )
    if [[ -n "${AIPERF_EXTRA_INPUTS:-}" ]]; then
        local -a extra
        read -r -a extra <<<"$AIPERF_EXTRA_INPUTS"
        REPLAY_CMD+=(--extra-inputs "${extra[@]}")
    fi
    REPLAY_CMD+=(--no-gpu-telemetry --tokenizer-trust-remote-code)
    # Traces longer than the server's context would only be rejected.
    if [[ -n "${MAX_MODEL_LEN:-}" && "$MAX_MODEL_LEN" != 0 ]]; then
        REPLAY_CMD+=(--max-context-length "$MAX_MODEL_LEN")
    fi
    REPLAY_CMD+=(--num-dataset-entries 393 --slice-duration 1.0)
    if [[ -n "${AIPERF_SERVER_METRICS_URLS:-}" ]]; then
        local -a urls
        local url
        IFS=, read -r -a urls <<<"$AIPERF_SERVER_METRICS_URLS"
        REPLAY_CMD+=(--server-metrics)
        for url in "${urls[@]}"; do
            if [[ -z "$url" || "$url" == *[[:space:]]* ]]; then
                echo "build_replay_cmd: AIPERF_SERVER_METRICS_URLS must be comma-separated URLs, got '$AIPERF_SERVER_METRICS_URLS'" >&2
                return 1
            fi
            REPLAY_CMD+=("$url")
        done
    fi
    REPLAY_CMD+=(--output-artifact-dir "$result_dir/aiperf_artifacts")
    # The scenario asks for at least 900 s; shorter runs are marked
    # submission_valid false instead of refused.
    if ((duration < 900)) || [[ "${AIPERF_UNSAFE_OVERRIDE:-false}" == true ]]; then
        REPLAY_CMD+=(--unsafe-override)
    fi
    REPLAY_CMD+=("${TRACE_SOURCE_ARGS[@]}")
}

# write_agentic_result_json RESULT_DIR aggregates the replay's artifacts into
# $AGENTIC_OUTPUT_DIR/$RESULT_FILENAME.json (upstream's
# process_agentic_result.py; the workflow checks that the file exists).
write_agentic_result_json() {
    local result_dir=$1
    RESULT_DIR="$result_dir" AGENTIC_OUTPUT_DIR="${AGENTIC_OUTPUT_DIR:-$WORKSPACE_DIR}" \
        "${RESULTPROC_BIN:-$WORKSPACE_DIR/bin/resultproc}" agentic
}

# validate_agentic_result RESULT_DIR checks the run's artifacts: an error
# rate above AIPERF_FAILED_REQUEST_THRESHOLD (0.10) fails it (upstream's
# validate_agentic_result.py).
validate_agentic_result() {
    local result_dir=$1
    "${RESULTPROC_BIN:-$WORKSPACE_DIR/bin/resultproc}" validate-agentic "$result_dir/aiperf_artifacts" \
        --failed-request-threshold "$AIPERF_FAILED_REQUEST_THRESHOLD"
}

# validate_required_agentic_server_metrics RESULT_DIR fails when the recipe
# set AIPERF_REQUIRED_SERVER_METRIC_PREFIX (vllm:, sglang:, atom:) and the
# server metrics export holds no metric of that family: the engine's own
# metrics were not scraped.
validate_required_agentic_server_metrics() {
    local prefix=${AIPERF_REQUIRED_SERVER_METRIC_PREFIX:-}
    local export_file="$1/aiperf_artifacts/server_metrics_export.json"
    [[ -n "$prefix" ]] || return 0
    if [[ ! -s "$export_file" ]]; then
        echo "error: $export_file is missing or empty (AIPERF_REQUIRED_SERVER_METRIC_PREFIX=$prefix)" >&2
        return 1
    fi
    # Metric names are JSON keys: a fixed-string scan is enough, and the
    # export can be large.
    if ! grep -F -q -m 1 "\"$prefix" "$export_file"; then
        echo "error: $export_file has no metric named $prefix* (the engine's metrics were not scraped)" >&2
        return 1
    fi
    echo "server metrics: found $prefix* in $export_file"
}

# run_agentic_replay_and_write_outputs RESULT_DIR runs REPLAY_CMD (see
# build_replay_cmd) with gpumon recording the GPUs (single-node jobs, unless
# ENABLE_AGENTX_POWER=0), then writes the aggregate, its energy
# (resultproc power-agentic; REQUIRE_POWER=1 fails the job on invalid power)
# and checks the run. Every output is written before any failure is
# returned: the replay's exit status first, then the validity check, then
# power, then the required server metrics.
run_agentic_replay_and_write_outputs() {
    local result_dir=$1 replay_rc=0 validation_rc=0 power_rc=0 power=0
    local resultproc=${RESULTPROC_BIN:-$WORKSPACE_DIR/bin/resultproc}
    if ((${#REPLAY_CMD[@]} == 0)); then
        echo "run_agentic_replay_and_write_outputs: call build_replay_cmd first" >&2
        return 1
    fi
    mkdir -p "$result_dir"
    case "${ENABLE_AGENTX_POWER:-1}" in
        1 | true | TRUE | yes | YES) [[ "${IS_MULTINODE:-false}" == true ]] || power=1 ;;
    esac
    if ((power)); then
        # AIPerf's timestamps are local wall-clock times without a zone:
        # the offset ties them to gpumon's samples.
        date +%z >"$result_dir/agentic_power_timezone_offset.txt"
        start_gpu_monitor --output "$result_dir/gpu_metrics.csv"
    fi

    printf '%q ' "${REPLAY_CMD[@]}" >"$result_dir/benchmark_command.txt"
    echo >>"$result_dir/benchmark_command.txt"
    echo "+ ${REPLAY_CMD[*]}"
    # The replay's own status, not tee's, whatever errexit and pipefail say.
    {
        "${REPLAY_CMD[@]}" 2>&1 | tee "$result_dir/benchmark.log"
        replay_rc=${PIPESTATUS[0]}
    } || true
    if ((power)); then
        stop_gpu_monitor
    fi

    local agg="${AGENTIC_OUTPUT_DIR:-$WORKSPACE_DIR}/$RESULT_FILENAME.json" write_rc=0
    write_agentic_result_json "$result_dir" || write_rc=$?
    if ((power)) && [[ -f "$agg" ]]; then
        local -a power_args=(--result-dir "$result_dir" --agg-result "$agg"
            --expected-num-gpus "$((${TP:-1} * ${PP_SIZE:-1} * ${PCP_SIZE:-1}))")
        case "${REQUIRE_POWER:-0}" in
            1 | true | TRUE | yes | YES) power_args+=(--require-power) ;;
        esac
        "$resultproc" power-agentic "${power_args[@]}" || power_rc=$?
    fi
    validate_agentic_result "$result_dir" || validation_rc=$?

    if ((replay_rc != 0)); then
        echo "error: the trace replay exited with $replay_rc (its artifacts and the aggregate are written)" >&2
        return "$replay_rc"
    fi
    if ((write_rc != 0)); then
        echo "error: resultproc agentic could not aggregate $result_dir/aiperf_artifacts (exit $write_rc)" >&2
        return "$write_rc"
    fi
    if ((validation_rc != 0)); then
        echo "error: the replay's results are not valid (error rate above $AIPERF_FAILED_REQUEST_THRESHOLD?)" >&2
        return "$validation_rc"
    fi
    if ((power_rc != 0)); then
        echo "error: the run's GPU power is not valid (REQUIRE_POWER)" >&2
        return "$power_rc"
    fi
    validate_required_agentic_server_metrics "$result_dir"
}

# start_agentic_server NAME CMD... starts an agentic recipe's server: CMD is
# written to $RESULT_DIR/NAME_command.txt, run in the background with its
# output in $RESULT_DIR/server.log (SERVER_LOG), and stopped when the script
# exits; returns once GET /health on $PORT answers. Sets SERVER_PID.
start_agentic_server() {
    local name=$1
    shift
    mkdir -p "$RESULT_DIR"
    SERVER_LOG="$RESULT_DIR/server.log"
    printf '%q ' "$@" >"$RESULT_DIR/${name}_command.txt"
    echo >>"$RESULT_DIR/${name}_command.txt"
    echo "+ $*"
    "$@" >"$SERVER_LOG" 2>&1 &
    SERVER_PID=$!
    trap 'kill "$SERVER_PID" 2>/dev/null' EXIT
    wait_for_server_ready --port "$PORT" --server-log "$SERVER_LOG" --server-pid "$SERVER_PID" \
        --sleep-interval "${HEALTH_POLL_INTERVAL:-5}"
}

# run_agentic_benchmark: the common end of a benchmarks/agentic/ script once
# its server is up: the trace replay and its outputs (or, for an eval-only
# job, the eval and its files).
run_agentic_benchmark() {
    if [[ "${EVAL_ONLY:-false}" == true ]]; then
        export EVAL_CONCURRENT_REQUESTS=${EVAL_CONCURRENT_REQUESTS:-${EVAL_CONC:-$CONC}}
        local status=0
        run_eval --framework lm-eval --port "$PORT" || status=$?
        append_lm_eval_summary || status=$((status == 0 ? 1 : status))
        return "$status"
    fi
    resolve_trace_source
    build_replay_cmd "$RESULT_DIR"
    run_agentic_replay_and_write_outputs "$RESULT_DIR"
}
