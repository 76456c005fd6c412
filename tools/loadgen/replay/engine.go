package replay

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/inferencex/inferencex-go/tools/loadgen/chatprompt"
	"github.com/inferencex/inferencex-go/tools/loadgen/engine"
	"github.com/inferencex/inferencex-go/tools/loadgen/weka"
)

// Config is how a replay runs.
type Config struct {
	URL         string // the chat completions URL
	Header      http.Header
	Client      *http.Client
	Models      []string
	Counter     *chatprompt.Counter
	Extra       []chatprompt.Field
	LegacyMax   bool
	Concurrency int
	Seed        uint64
	BenchmarkID string
	CacheBust   bool

	StartMin, StartMax float64       // t* is drawn in [StartMin, StartMax] of a lane's first trace
	WarmupRequests     int           // one-token requests per lane after its primer
	WarmupGrace        time.Duration // 0: no limit
	Duration           time.Duration // profiling
	GracePeriod        time.Duration // for requests in flight at the end
	TraceIdleCap       time.Duration // 0: none
	SystemIdleCap      time.Duration // 0: none
	RequestTimeout     time.Duration // 0: none
	FailThreshold      float64       // 0: none
	CollectText        bool          // keep generated text (to count it)

	// OnRecord receives every finished request, on the scheduler's
	// goroutine.
	OnRecord func(*Result)
}

// Result is one finished request with its place in the replay.
type Result struct {
	exchange
	Phase          string
	Due            time.Time // when the schedule wanted it sent
	Fired          time.Time // when the scheduler took it up
	TraceID        string
	ConversationID string
	CorrelationID  string
	RootCorr       string
	ParentCorr     string // "" for a root session
	Depth          int
	Turn           int // index of the request among its agent's requests
	SessionNum     int // the play of a trace (tree) it belongs to
	Lane           int
	RequestID      string
	Request        *weka.Request
	PromptTokens   int // as built (the trace's in, exactly, unless Short)
	Short          bool
	Reset          bool
	HitBlocks      int // leading blocks already sent in this play (ideal prefix cache)
	TotalBlocks    int
	Messages       []chatprompt.Message // kept for --verify-prompt-tokens
}

// Failed tells whether the request failed (a run that stopped under it is
// not a failure).
func (r *Result) Failed() bool { return r.errType != "" && !r.canceled }

// Canceled tells whether the run stopped while it was in flight.
func (r *Result) Canceled() bool { return r.canceled }

// ErrType and ErrMsg describe a failure.
func (r *Result) ErrType() string { return r.errType }

// ErrMsg is the failure's message.
func (r *Result) ErrMsg() string { return r.errMsg }

// Stats are the run's counts, for the summary and the aggregate.
type Stats struct {
	Start, ProfileStart, ProfileEnd, End time.Time
	WarmupSent, WarmupFailed             int
	Sent, Completed, Failed, Overflowed  int
	Canceled                             int
	TreesStarted, TreesFinished          int
	DroppedSubagents                     int // subagents with no request before them in their list
	SkippedByStart                       int // subagents before a lane's warmup start point
	SessionsEnded                        int // sessions ended by a context overflow
	TraceCapJumps, SystemCapJumps        int
	TraceCapSkipped, SystemCapSkipped    time.Duration
	Simulated                            bool
	Stopped                              error // why the run ended early
	WarmupCut                            bool  // the warmup grace period ran out
}

// Replayer runs one replay.
type Replayer struct {
	cfg    Config
	traces []*weka.Trace
	order  []int // trace order of the sampler
	next   int   // next position in order
	rng    *rand.Rand

	results  chan *Result
	timers   timerHeap
	lanes    []*lane
	phase    int
	inAir    int // requests in flight
	plays    int
	reqSeq   uint64
	stats    Stats
	cancels  map[*Result]context.CancelFunc
	sessions map[*Result]*session
	stopRun  context.CancelCauseFunc
	// Profiling-phase outcomes, for the live failure threshold.
	profDone, profFailed int
}

const (
	phaseWarmup = iota
	phaseProfiling
	phaseCooldown
	phaseDone
)

// New prepares a replay of traces.
func New(cfg Config, traces []*weka.Trace) (*Replayer, error) {
	switch {
	case len(traces) == 0:
		return nil, errors.New("no traces")
	case cfg.Concurrency < 1:
		return nil, fmt.Errorf("concurrency must be at least 1, got %d", cfg.Concurrency)
	case len(cfg.Models) == 0:
		return nil, errors.New("no model")
	case !(cfg.StartMin >= 0 && cfg.StartMin <= cfg.StartMax && cfg.StartMax <= 1):
		return nil, fmt.Errorf("trajectory start ratios must satisfy 0 <= min (%v) <= max (%v) <= 1", cfg.StartMin, cfg.StartMax)
	case cfg.Duration <= 0:
		return nil, fmt.Errorf("benchmark duration must be positive, got %v", cfg.Duration)
	case cfg.Counter == nil || cfg.Client == nil:
		return nil, errors.New("replay: no counter or client")
	}
	r := &Replayer{cfg: cfg, traces: traces, rng: rand.New(rand.NewPCG(cfg.Seed, 0x7e7a)),
		results: make(chan *Result, 4*cfg.Concurrency+16), cancels: map[*Result]context.CancelFunc{},
		sessions: map[*Result]*session{}}
	// The sampler: a seeded shuffle, every trace once before any twice.
	r.order = r.rng.Perm(len(traces))
	return r, nil
}

// lane is one unit of concurrency: it replays one tree at a time.
type lane struct {
	idx   int
	tree  *tree
	plays int
	// idle lanes wait for the profiling phase to take a new trace.
	waiting bool
}

// tree is one play of a trace: its root agent and every subagent.
type tree struct {
	lane     *lane
	trace    *weka.Trace
	num      int // session_num of its records
	marker   string
	scope    uint64
	models   map[string]string
	rootCorr string
	live     int // sessions not finished
	inAir    int
	timers   []*timer // pending, this tree's
	held     []*held  // ready during the warmup after its budget ran out
	warmup   int      // warmup requests it may still send
	seen     map[int64]struct{}
	sessions int // sessions started, for correlation ids
}

// session is one agent of a tree: the requests of one list, in order.
type session struct {
	tree     *tree
	parent   *session
	entries  []weka.Entry
	pos      int
	turn     int
	conv     *chatprompt.Conversation
	convID   string
	corr     string
	depth    int
	refT     float64 // recorded end of what the next request follows
	lastEnd  time.Time
	blocking int // children the next request waits for
	children int // children not finished
	blocks   bool
	waiting  bool // a timer or a held entry is pending
	inAir    bool
	finished bool
	// prevBlocks are the blocks of the agent's last request sent.
	prevBlocks *weka.Blocks
}

type timer struct {
	due  time.Time
	s    *session
	req  *weka.Request
	turn int
	idx  int
}

type held struct {
	s     *session
	req   *weka.Request
	turn  int
	delay time.Duration
}

type timerHeap []*timer

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].due.Before(h[j].due) }
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].idx, h[j].idx = i, j
}
func (h *timerHeap) Push(x any) {
	t := x.(*timer)
	t.idx = len(*h)
	*h = append(*h, t)
}
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	t.idx = -1
	return t
}

func seconds(x float64) time.Duration { return time.Duration(x * float64(time.Second)) }

// uuid derives a UUID-shaped id from the run's id and n.
func uuid(benchmark string, n uint64) string {
	a := chatprompt.Key(benchmark) ^ (n * 0x9e3779b97f4a7c15)
	b := chatprompt.Key(fmt.Sprint(a, n))
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", uint32(a>>32), uint16(a>>16), uint16(a)&0xfff, uint16(b>>48)&0x3fff|0x8000, b&0xffffffffffff)
}

// Run replays until the duration ends or ctx does, and returns the counts.
func (r *Replayer) Run(ctx context.Context) Stats {
	runCtx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	r.stopRun = stop
	r.stats.Start = time.Now()
	r.phase = phaseWarmup
	for i := range r.cfg.Concurrency {
		r.lanes = append(r.lanes, &lane{idx: i})
	}
	r.startWarmup(runCtx)

	wake := time.NewTimer(time.Hour)
	defer wake.Stop()
	phaseTimer := time.NewTimer(time.Hour)
	defer phaseTimer.Stop()
	var deadline <-chan time.Time // the end of the duration, then of the grace period
	var warmupC <-chan time.Time
	if r.cfg.WarmupGrace > 0 {
		wt := time.NewTimer(r.cfg.WarmupGrace)
		defer wt.Stop()
		warmupC = wt.C
	}
	done := ctx.Done()
	for {
		now := time.Now()
		if r.phase == phaseWarmup && r.inAir == 0 && len(r.timers) == 0 {
			r.startProfiling(runCtx, now)
			phaseTimer.Reset(r.cfg.Duration)
			deadline, warmupC = phaseTimer.C, nil
			continue
		}
		if r.phase == phaseCooldown && r.inAir == 0 {
			r.phase = phaseDone
		}
		if r.phase == phaseDone {
			break
		}
		for len(r.timers) > 0 && !r.timers[0].due.After(now) {
			t := heap.Pop(&r.timers).(*timer)
			r.removeTreeTimer(t)
			r.fire(runCtx, t)
		}
		r.capSystemIdle(now)
		var wakeC <-chan time.Time
		if len(r.timers) > 0 {
			wake.Reset(max(0, time.Until(r.timers[0].due)))
			wakeC = wake.C
		}
		select {
		case res := <-r.results:
			r.finish(runCtx, res)
		case <-wakeC:
		case <-warmupC:
			// The warmup took too long: what is in flight is cancelled and
			// the lanes send nothing more before the profiling phase.
			warmupC = nil
			r.stats.WarmupCut = true
			for _, l := range r.lanes {
				if l.tree != nil {
					l.tree.warmup = 0
				}
			}
			r.cancelInFlight()
		case <-deadline:
			if r.phase == phaseProfiling {
				r.endProfiling(now)
				if r.cfg.GracePeriod > 0 {
					phaseTimer.Reset(r.cfg.GracePeriod)
					continue
				}
			}
			deadline = nil
			r.cancelInFlight()
		case <-done:
			done = nil
			r.abort(context.Cause(ctx))
		}
	}
	r.stats.End = time.Now()
	if r.stats.ProfileEnd.IsZero() {
		r.stats.ProfileEnd = r.stats.End
	}
	if r.stats.ProfileStart.IsZero() {
		r.stats.ProfileStart = r.stats.End
	}
	return r.stats
}

// abort ends the run early for err: nothing new is sent and what is in
// flight is cancelled.
func (r *Replayer) abort(err error) {
	if r.stats.Stopped == nil {
		r.stats.Stopped = err
	}
	if r.phase < phaseCooldown {
		r.endProfiling(time.Now())
	}
	r.stopRun(err)
	r.cancelInFlight()
}

func (r *Replayer) cancelInFlight() {
	for _, c := range r.cancels {
		c()
	}
}

// endProfiling ends the measured phase: nothing new is sent.
func (r *Replayer) endProfiling(now time.Time) {
	if r.phase == phaseProfiling {
		r.stats.ProfileEnd = now
	}
	r.phase = phaseCooldown
	r.timers = r.timers[:0]
	for _, l := range r.lanes {
		if l.tree != nil {
			l.tree.timers = nil
		}
	}
}

// nextTrace draws the sampler's next trace.
func (r *Replayer) nextTrace() *weka.Trace {
	t := r.traces[r.order[r.next%len(r.order)]]
	r.next++
	return t
}

// newTree starts a play of tr on lane l.
func (r *Replayer) newTree(l *lane, tr *weka.Trace) *tree {
	r.plays++
	l.plays++
	t := &tree{lane: l, trace: tr, num: r.plays - 1, models: modelMap(tr, r.cfg.Models), seen: map[int64]struct{}{}}
	if tr.Scope == weka.ScopeLocal {
		t.scope = chatprompt.Key(tr.ID)
	}
	if r.cfg.CacheBust {
		// Per play: the run, the lane's pass and the lane, and the trace.
		t.marker = chatprompt.CacheBustMarker(chatprompt.Key(fmt.Sprintf("%s|%d|%d|%s", r.cfg.BenchmarkID, l.plays, l.idx, tr.ID)))
	}
	l.tree = t
	r.stats.TreesStarted++
	return t
}

// modelMap maps a trace's models to the served ones: the main model (of
// the first top-level request) to the first, the others in order of first
// appearance to the next, wrapping around.
func modelMap(tr *weka.Trace, served []string) map[string]string {
	m := map[string]string{}
	var order []string
	var walk func([]weka.Entry)
	walk = func(es []weka.Entry) {
		for _, e := range es {
			if e.Request != nil {
				if _, ok := m[e.Request.Model]; !ok {
					m[e.Request.Model] = ""
					order = append(order, e.Request.Model)
				}
			} else {
				walk(e.Subagent.Requests)
			}
		}
	}
	for _, e := range tr.Requests {
		if e.Request != nil {
			m[e.Request.Model] = ""
			order = append(order, e.Request.Model)
			break
		}
	}
	walk(tr.Requests)
	for i, name := range order {
		m[name] = served[i%len(served)]
	}
	return m
}

func (r *Replayer) newSession(t *tree, parent *session, entries []weka.Entry, convID string) (*session, error) {
	t.sessions++
	s := &session{tree: t, parent: parent, entries: entries, convID: convID,
		corr: uuid(r.cfg.BenchmarkID, uint64(t.num)<<20|uint64(t.sessions))}
	if parent != nil {
		s.depth = parent.depth + 1
	} else {
		t.rootCorr = s.corr
	}
	conv, err := chatprompt.NewConversation(r.cfg.Counter, t.scope, chatprompt.Key(convID), t.trace.BlockSize, t.marker)
	if err != nil {
		return nil, err
	}
	s.conv = conv
	t.live++
	return s, nil
}

// startWarmup gives every lane its first trace, fast-forwarded to a point
// t* drawn in [StartMin, StartMax] of its top-level turns, and sends the
// turn before t* (the primer: its prompt holds everything before it) and
// then WarmupRequests more, all with one output token and no waits.
func (r *Replayer) startWarmup(ctx context.Context) {
	now := time.Now()
	for _, l := range r.lanes {
		tr := r.nextTrace()
		// A trace needs two top-level turns to be split at t*; look for
		// one among the next few.
		for range len(r.traces) {
			if tr.RootTurns() >= 2 {
				break
			}
			tr = r.nextTrace()
		}
		t := r.newTree(l, tr)
		root, err := r.newSession(t, nil, tr.Requests, tr.ID)
		if err != nil {
			r.abort(err)
			return
		}
		t.warmup = 1 + r.cfg.WarmupRequests
		if n := tr.RootTurns(); n >= 2 {
			ratio := r.cfg.StartMin + r.rng.Float64()*(r.cfg.StartMax-r.cfg.StartMin)
			k := min(max(int(math.Floor(ratio*float64(n))), 1), n-1)
			if err := r.fastForward(root, k-1); err != nil {
				r.abort(err)
				return
			}
		}
		root.lastEnd = now
		r.advance(ctx, root, now)
	}
}

// fastForward builds the history of the first n top-level turns without
// sending them; the subagents among them are not replayed.
func (r *Replayer) fastForward(s *session, n int) error {
	for s.turn < n && s.pos < len(s.entries) {
		e := s.entries[s.pos]
		s.pos++
		if e.Subagent != nil {
			r.stats.SkippedByStart++
			continue
		}
		if _, err := s.conv.Next(e.Request); err != nil {
			return err
		}
		for _, id := range e.Request.Blocks.IDs() {
			s.tree.seen[id] = struct{}{}
		}
		s.prevBlocks = e.Request.Blocks
		s.refT = e.Request.T + apiTime(e.Request)
		s.turn++
	}
	// Subagents spawned by the last skipped turn are skipped with it.
	for s.pos < len(s.entries) && s.entries[s.pos].Subagent != nil {
		s.pos++
		r.stats.SkippedByStart++
	}
	return nil
}

func apiTime(req *weka.Request) float64 {
	if req.APITime != nil {
		return *req.APITime
	}
	return 0
}

// startProfiling opens the measured phase: held requests are scheduled
// from now and lanes whose tree drained take a new trace from its start.
func (r *Replayer) startProfiling(ctx context.Context, now time.Time) {
	r.phase = phaseProfiling
	r.stats.ProfileStart = now
	for _, l := range r.lanes {
		t := l.tree
		if t == nil || l.waiting {
			l.waiting = false
			r.recycle(ctx, l, now)
			continue
		}
		t.warmup = 0
		for _, h := range t.held {
			r.schedule(h.s, h.req, h.turn, now.Add(h.delay), now)
		}
		t.held = nil
	}
}

// recycle gives lane l its next trace, from its first turn.
func (r *Replayer) recycle(ctx context.Context, l *lane, now time.Time) {
	tr := r.nextTrace()
	t := r.newTree(l, tr)
	root, err := r.newSession(t, nil, tr.Requests, tr.ID)
	if err != nil {
		r.abort(err)
		return
	}
	root.lastEnd = now
	r.advance(ctx, root, now)
}

// thinkDelay is how long after its predecessor a request is sent: its
// recorded think time (the client's wait from the end of what it follows),
// else the recorded gap between that end and its start.
func thinkDelay(s *session, req *weka.Request) time.Duration {
	if req.ThinkTime != nil {
		return seconds(*req.ThinkTime)
	}
	if s.turn == 0 && s.parent == nil {
		return 0
	}
	return seconds(max(0, req.T-s.refT))
}

// advance moves a session on: it spawns the subagents that follow its
// last request, schedules its next request once the children it waits for
// are done, and finishes it at the end of its list.
func (r *Replayer) advance(ctx context.Context, s *session, now time.Time) {
	for !s.waiting && !s.inAir && !s.finished {
		if s.pos >= len(s.entries) {
			if s.children == 0 {
				r.finishSession(ctx, s, now)
			}
			return
		}
		e := s.entries[s.pos]
		if sub := e.Subagent; sub != nil {
			s.pos++
			if s.turn == 0 {
				// No request of this agent came before it: nothing to
				// spawn it from (AIPerf drops these too).
				r.stats.DroppedSubagents++
				continue
			}
			child, err := r.newSession(s.tree, s, sub.Requests, s.convID+"::sa:"+sub.AgentID)
			if err != nil {
				r.abort(err)
				return
			}
			child.blocks = !sub.Background() && followedByRequest(s.entries, s.pos)
			child.refT = sub.T
			child.lastEnd = now
			s.children++
			if child.blocks {
				s.blocking++
			}
			r.advance(ctx, child, now)
			continue
		}
		if s.blocking > 0 {
			return
		}
		req := e.Request
		delay := thinkDelay(s, req)
		s.pos++
		turn := s.turn
		s.turn++
		s.refT = req.T + apiTime(req)
		s.waiting = true
		t := s.tree
		if r.phase == phaseWarmup {
			if t.warmup > 0 {
				t.warmup--
				r.schedule(s, req, turn, now, now)
			} else {
				t.held = append(t.held, &held{s: s, req: req, turn: turn, delay: delay})
			}
			return
		}
		r.schedule(s, req, turn, s.lastEnd.Add(delay), now)
		return
	}
}

// followedByRequest tells whether a request comes after position i (past
// other subagents): a subagent without one runs in the background.
func followedByRequest(es []weka.Entry, i int) bool {
	for ; i < len(es); i++ {
		if es[i].Request != nil {
			return true
		}
	}
	return false
}

func (r *Replayer) schedule(s *session, req *weka.Request, turn int, due, now time.Time) {
	if r.phase >= phaseCooldown {
		return
	}
	tm := &timer{due: due, s: s, req: req, turn: turn}
	heap.Push(&r.timers, tm)
	s.tree.timers = append(s.tree.timers, tm)
	r.capTreeIdle(s.tree, now)
}

func (r *Replayer) removeTreeTimer(tm *timer) {
	ts := tm.s.tree.timers
	for i, x := range ts {
		if x == tm {
			ts[i] = ts[len(ts)-1]
			tm.s.tree.timers = ts[:len(ts)-1]
			return
		}
	}
}

// capTreeIdle advances a tree's pending requests when it has nothing in
// flight and its next request is more than the cap away, all by the same
// amount (order and spacing kept).
func (r *Replayer) capTreeIdle(t *tree, now time.Time) {
	if r.cfg.TraceIdleCap <= 0 || t.inAir > 0 || len(t.timers) == 0 || r.phase != phaseProfiling {
		return
	}
	first := t.timers[0].due
	for _, tm := range t.timers[1:] {
		if tm.due.Before(first) {
			first = tm.due
		}
	}
	if over := first.Sub(now) - r.cfg.TraceIdleCap; over > 0 {
		for _, tm := range t.timers {
			tm.due = tm.due.Add(-over)
			heap.Fix(&r.timers, tm.idx)
		}
		r.stats.TraceCapJumps++
		r.stats.TraceCapSkipped += over
	}
}

// capSystemIdle advances every pending request when nothing is in flight
// anywhere and the next is more than the cap away.
func (r *Replayer) capSystemIdle(now time.Time) {
	if r.cfg.SystemIdleCap <= 0 || r.inAir > 0 || len(r.timers) == 0 || r.phase != phaseProfiling {
		return
	}
	if over := r.timers[0].due.Sub(now) - r.cfg.SystemIdleCap; over > 0 {
		for _, tm := range r.timers {
			tm.due = tm.due.Add(-over)
		}
		r.stats.SystemCapJumps++
		r.stats.SystemCapSkipped += over
	}
}

// fire sends a due request.
func (r *Replayer) fire(ctx context.Context, tm *timer) {
	s, t := tm.s, tm.s.tree
	s.waiting = false
	if r.phase >= phaseCooldown {
		return
	}
	p, err := s.conv.Next(tm.req)
	if err != nil {
		r.abort(err)
		return
	}
	res := &Result{Due: tm.due, Fired: time.Now(), TraceID: t.trace.ID, ConversationID: s.convID, CorrelationID: s.corr, RootCorr: t.rootCorr,
		Depth: s.depth, Turn: tm.turn, SessionNum: t.num, Lane: t.lane.idx, Request: tm.req, PromptTokens: p.Tokens,
		Short: p.Short, Reset: p.Reset, Phase: "profiling", Messages: p.Messages}
	if s.parent != nil {
		res.ParentCorr = s.parent.corr
	}
	r.reqSeq++
	res.RequestID = uuid(r.cfg.BenchmarkID, r.reqSeq<<1|1)
	maxTokens := max(tm.req.Out, 1)
	if r.phase == phaseWarmup {
		res.Phase = "warmup"
		maxTokens = 1
		r.stats.WarmupSent++
	} else {
		r.stats.Sent++
	}
	// The ideal prefix cache: leading blocks this play has sent before.
	// When the request extends the agent's previous one, that prefix was
	// seen already and only the new blocks are looked at.
	res.TotalBlocks = tm.req.Blocks.Len()
	from, ids := 0, []int64(nil)
	if prev := s.prevBlocks; prev != nil && tm.req.Blocks.Extends(prev) {
		from, ids = prev.Len(), tm.req.Blocks.After(prev.Len())
	} else {
		ids = tm.req.Blocks.IDs()
	}
	res.HitBlocks = from
	for _, id := range ids {
		if _, ok := t.seen[id]; !ok {
			break
		}
		res.HitBlocks++
	}
	for _, id := range ids {
		t.seen[id] = struct{}{}
	}
	s.prevBlocks = tm.req.Blocks
	header := r.cfg.Header.Clone()
	if header == nil {
		header = http.Header{}
	}
	header.Set("X-Request-ID", res.RequestID)
	header.Set("X-Correlation-ID", s.corr)
	res.exchange = exchange{url: r.cfg.URL, header: header}
	bodyOpts := chatprompt.BodyOptions{Model: t.models[tm.req.Model], MaxTokens: maxTokens, LegacyMaxTokens: r.cfg.LegacyMax, Extra: r.cfg.Extra}
	s.inAir = true
	t.inAir++
	r.inAir++
	reqCtx, cancel := context.WithCancel(ctx)
	r.cancels[res] = cancel
	r.sessions[res] = s
	vocab := r.cfg.Counter.Vocab()
	go func() {
		body, err := chatprompt.NewBody(vocab, p.Messages, bodyOpts)
		if err != nil {
			res.fail(engine.KindParse, "building the request: "+err.Error())
		} else {
			res.body = body
			res.send(reqCtx, r.cfg.Client, r.cfg.RequestTimeout, r.cfg.CollectText)
		}
		r.results <- res
	}()
}

// finish takes a request's outcome back into its session.
func (r *Replayer) finish(ctx context.Context, res *Result) {
	if c, ok := r.cancels[res]; ok {
		c()
		delete(r.cancels, res)
	}
	r.inAir--
	s := r.sessions[res]
	delete(r.sessions, res)
	t := s.tree
	t.inAir--
	s.inAir = false
	now := time.Now()
	s.lastEnd = res.end
	if res.simulated {
		r.stats.Simulated = true
	}
	switch {
	case res.canceled:
		r.stats.Canceled++
	case res.Phase == "warmup":
		if res.Failed() {
			r.stats.WarmupFailed++
		}
	case res.errType == ErrContextOverflow:
		r.stats.Overflowed++
	case res.Failed():
		r.stats.Failed++
		r.profFailed++
		r.profDone++
	default:
		r.stats.Completed++
		r.profDone++
	}
	if res.errType == ErrContextOverflow {
		// The context cannot hold this agent's prompts any more: the rest
		// of its requests are not sent.
		s.pos = len(s.entries)
		r.stats.SessionsEnded++
	}
	if r.cfg.OnRecord != nil {
		r.cfg.OnRecord(res)
	}
	if th := r.cfg.FailThreshold; th > 0 && r.phase == phaseProfiling && r.profDone >= minForThreshold &&
		float64(r.profFailed)/float64(r.profDone) > th {
		r.abort(fmt.Errorf("%d of %d profiled requests failed, more than --failed-request-threshold %v", r.profFailed, r.profDone, th))
		return
	}
	if r.phase >= phaseCooldown {
		return
	}
	r.advance(ctx, s, now)
	r.capTreeIdle(t, now)
}

// minForThreshold is how many profiled requests must have finished before
// the failure threshold is applied: the first few say little.
const minForThreshold = 20

// finishSession ends an agent: its parent may go on (a child it waited
// for is done), and a root's end ends its tree.
func (r *Replayer) finishSession(ctx context.Context, s *session, now time.Time) {
	s.finished = true
	t := s.tree
	t.live--
	if p := s.parent; p != nil {
		p.children--
		if s.blocks {
			p.blocking--
			// The parent's next turn follows the end of what it waited for.
			if s.lastEnd.After(p.lastEnd) {
				p.lastEnd = s.lastEnd
			}
			p.refT = max(p.refT, s.refT)
		}
		r.advance(ctx, p, now)
		return
	}
	r.stats.TreesFinished++
	l := t.lane
	l.tree = nil
	switch r.phase {
	case phaseWarmup:
		l.waiting = true // a new trace when the profiling phase starts
	case phaseProfiling:
		r.recycle(ctx, l, now)
	}
}
