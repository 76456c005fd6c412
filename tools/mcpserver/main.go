// Command mcpserver is an MCP server, spoken over stdin and stdout, that
// gives a coding assistant the source of vLLM, SGLang, TensorRT-LLM and
// Dynamo at the versions the master configs benchmark. See
// docs/mcpserver.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/inferencex/inferencex-go/pkg/cliargs"
	"github.com/inferencex/inferencex-go/tools/mcpserver/repocache"
	"github.com/inferencex/inferencex-go/tools/mcpserver/server"
	"github.com/inferencex/inferencex-go/tools/mcpserver/srctree"
)

const prog = "mcpserver"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], &mcp.StdioTransport{}, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// config is the parsed command line.
type config struct {
	opts server.Options
}

// parse reads the command line. Defaults: the two master configs under the
// repository root ($INFERENCEX_ROOT, else the original's $INFERENCEMAX_ROOT,
// else the working directory) and the cache folder of repocache.DefaultDir.
func parse(args []string, helpOut io.Writer) (*config, error) {
	var (
		root, cacheDir string
		configFiles    []string
		repos          []string
		prefetch       = []string{"vllm", "sglang"}
		maxSize        = srctree.DefaultMaxFileSize
		includeTests   bool
	)
	p := cliargs.New(prog, "MCP server (stdio) with the source of vLLM, SGLang, TensorRT-LLM and Dynamo at the versions the master configs use.")
	p.String(&root, "--root", "repository root whose configs/{nvidia,amd}-master.yaml are read", cliargs.DefaultHelp("$INFERENCEX_ROOT, $INFERENCEMAX_ROOT or the working directory"))
	p.Strings(&configFiles, "--config-files", "master config files to detect versions from (instead of the two under --root)")
	p.String(&cacheDir, "--cache-dir", "folder for clones and extracted trees", cliargs.DefaultHelp("$INFERENCEX_MCP_CACHE, else $XDG_CACHE_HOME/inferencex-mcp"))
	p.Strings(&repos, "--repo", "override an upstream repository, as FRAMEWORK=URL (a fork, a mirror, a local path)", cliargs.Metavar("FRAMEWORK=URL"))
	p.StringsZeroOrMore(&prefetch, "--prefetch", "frameworks to clone and extract in the background at start; none with no value", cliargs.DefaultHelp("vllm sglang"))
	p.Int(&maxSize, "--max-file-size", "largest file served, in bytes", cliargs.DefaultHelp(fmt.Sprint(srctree.DefaultMaxFileSize)))
	p.Bool(&includeTests, "--include-tests", "serve test trees and test files too")
	if err := p.Parse(args, helpOut); err != nil {
		return nil, err
	}
	usage := func(format string, a ...any) error {
		return &cliargs.UsageError{Prog: prog, Msg: fmt.Sprintf(format, a...)}
	}
	if maxSize <= 0 {
		return nil, usage("argument --max-file-size: must be positive, got %d", maxSize)
	}
	if root == "" {
		root = firstNonEmpty(os.Getenv("INFERENCEX_ROOT"), os.Getenv("INFERENCEMAX_ROOT"), ".")
	}
	if len(configFiles) == 0 {
		configFiles = []string{
			filepath.Join(root, "configs", "nvidia-master.yaml"),
			filepath.Join(root, "configs", "amd-master.yaml"),
		}
	} else if p.Seen("--root") {
		return nil, usage("argument --config-files: not allowed with argument --root")
	}
	if cacheDir == "" {
		d, err := repocache.DefaultDir()
		if err != nil {
			return nil, err
		}
		cacheDir = d
	}
	abs, err := filepath.Abs(cacheDir)
	if err != nil {
		return nil, err
	}
	overrides := map[string]string{}
	for _, r := range repos {
		name, url, ok := strings.Cut(r, "=")
		if !ok || name == "" || url == "" {
			return nil, usage("argument --repo: expected FRAMEWORK=URL, got %q", r)
		}
		overrides[name] = url
	}
	return &config{opts: server.Options{
		ConfigFiles: configFiles,
		CacheDir:    abs,
		Repos:       overrides,
		Prefetch:    prefetch,
		Filter:      srctree.Filter{MaxFileSize: int64(maxSize), IncludeTests: includeTests},
	}}, nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// run is the whole program: exit status 0 when the client hung up, 1 on a
// runtime failure, 2 on a bad command line.
func run(ctx context.Context, args []string, t mcp.Transport, stdout, stderr io.Writer) int {
	cfg, err := parse(args, stdout)
	if errors.Is(err, cliargs.ErrHelp) {
		return 0
	}
	var ue *cliargs.UsageError
	if errors.As(err, &ue) {
		fmt.Fprintln(stderr, err)
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		return 1
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	cfg.opts.Logger = log
	cfg.opts.Version = moduleVersion()
	srv, err := server.New(cfg.opts)
	if err != nil {
		fmt.Fprintf(stderr, "%s: error: %v\n", prog, err)
		return 2
	}
	log.Info("starting", "configs", strings.Join(cfg.opts.ConfigFiles, ","), "cache", cfg.opts.CacheDir, "prefetch", strings.Join(cfg.opts.Prefetch, ","))
	if err := srv.Run(ctx, t); err != nil && ctx.Err() == nil {
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		return 1
	}
	return 0
}
