"""Records a real agentic run for the gen-agentic-*golden.py scripts: `loadgen
traces synth` writes traces, `loadgen sim-server` serves them, and `loadgen
replay` runs them, keeping its artifacts. It needs `make build` first (it runs
bin/loadgen). gen-agentic-golden.py and gen-agentic-aggregate-golden.py both
import it; their runs differ only in the shape of the traces and of the load.
"""
import pathlib
import shutil
import subprocess
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
TINYTOK = ROOT / "tools" / "loadgen" / "bench" / "testdata" / "tinytok"


def record_replay(out, *, traces, max_turns, first_input, turn_input, prefill_ms_per_token, concurrency, duration,
                  sim_flags=(), replay_flags=()):
    """Replays freshly synthesized traces against the simulated server into
    the artifact directory `out` (replaced if it exists)."""
    loadgen = str(ROOT / "bin" / "loadgen")
    with tempfile.TemporaryDirectory() as tmp:
        trace_file = pathlib.Path(tmp) / "traces.jsonl"
        subprocess.run([loadgen, "traces", "synth", "--traces", str(traces), "--min-turns", "3",
                        "--max-turns", str(max_turns), "--first-input", str(first_input), "--shared-prefix", "128",
                        "--turn-input", str(turn_input), "--output-tokens", "8", "--think-time", "0.05",
                        "--output", str(trace_file)], check=True)
        sim = subprocess.Popen([loadgen, "sim-server", "--model", "m", "--port", "0", "--decode-step-ms", "1",
                                "--prefill-ms-per-token", str(prefill_ms_per_token), "--tokenizer", str(TINYTOK),
                                *sim_flags],
                               stdout=subprocess.PIPE, text=True)
        try:
            url = sim.stdout.readline().strip()
            if out.exists():
                shutil.rmtree(out)
            subprocess.run([loadgen, "replay", "--url", url, "--model", "m", "--tokenizer", str(TINYTOK),
                            "--concurrency", str(concurrency), "--benchmark-duration", str(duration),
                            "--input-file", str(trace_file),
                            "--custom-dataset-type", "weka_trace", "--output-artifact-dir", str(out),
                            "--warmup-requests-per-lane", "1", "--slice-duration", "0.5", "--stats-interval", "0",
                            *replay_flags,
                            "--use-server-token-count", "--streaming", "--no-gpu-telemetry",
                            "--tokenizer-trust-remote-code", "--random-seed", "42"],
                           check=True, stdout=subprocess.DEVNULL)
        finally:
            sim.terminate()
            sim.wait()
