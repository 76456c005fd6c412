package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func fixed(r *Reporter, elapsed time.Duration) {
	base := time.Unix(1000, 0)
	r.start = base
	r.now = func() time.Time { return base.Add(elapsed) }
}

func TestLogLine(t *testing.T) {
	var b bytes.Buffer
	r := New(&b, false, "benchmark", 200, func() Counts { return Counts{Done: 50, Failed: 2, OutputTokens: 12800} })
	fixed(r, 10*time.Second)
	r.print(false)
	want := "benchmark: 50/200 requests (25%), 2 failed, 5.00 req/s, 1280 output tok/s, 00:10 elapsed\n"
	if b.String() != want {
		t.Errorf("got  %q\nwant %q", b.String(), want)
	}
}

func TestBar(t *testing.T) {
	var b bytes.Buffer
	r := New(&b, true, "warmup", 10, func() Counts { return Counts{Done: 5} })
	fixed(r, 65*time.Second)
	r.print(true)
	s := b.String()
	if !strings.HasPrefix(s, "\rwarmup [###############...............] 5/10 ") || !strings.HasSuffix(s, "\n") ||
		!strings.Contains(s, "01:05, ETA 01:05") {
		t.Errorf("bar %q", s)
	}
	if strings.Count(s, "\n") != 1 {
		t.Errorf("a bar redraws one line: %q", s)
	}
}

func TestStartStop(t *testing.T) {
	var b bytes.Buffer
	r := New(&b, false, "benchmark", 1, func() Counts { return Counts{Done: 1} })
	r.interval = time.Millisecond
	r.Start()
	time.Sleep(5 * time.Millisecond)
	r.Stop()
	r.Stop() // a second Stop does nothing
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[len(lines)-1], "benchmark: 1/1 requests (100%)") {
		t.Errorf("output %q", b.String())
	}
}

func TestClock(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "00:00", 59 * time.Second: "00:59", 61 * time.Minute: "1:01:00"} {
		if got := clock(d); got != want {
			t.Errorf("%v: %s, want %s", d, got, want)
		}
	}
}
