package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/inferencex/inferencex-go/tools/mcpserver/frameworks"
	"github.com/inferencex/inferencex-go/tools/mcpserver/srctree"
)

// addTemplates registers, per framework, the URI templates that reach any
// file: <fw>:///{path} at the served version and <fw>://{tag}/{path} at
// another. Listed resources cover only the served version's files; the
// templates are what make reads of the other versions, and clear errors
// for refused paths, possible.
func (s *Server) addTemplates() {
	h := s.readHandler()
	for _, f := range s.set.List() {
		s.mcp.AddResourceTemplate(&mcp.ResourceTemplate{
			URITemplate: f.Name + ":///{+path}",
			Name:        f.Name + "-source",
			Title:       f.Display + " source (served version)",
			Description: fmt.Sprintf("A file of %s at the version being served (see list_versions, switch_version); path is relative to the repository root.", f.Display),
		}, h)
		s.mcp.AddResourceTemplate(&mcp.ResourceTemplate{
			URITemplate: f.Name + "://{version}/{+path}",
			Name:        f.Name + "-source-at-version",
			Title:       f.Display + " source at a version",
			Description: fmt.Sprintf("A file of %s at another version or tag (e.g. v0.13.0 or 0.13.0), without switching the served version.", f.Display),
		}, h)
	}
}

// URIError is a resource URI that does not name a file.
type URIError struct {
	URI    string
	Reason string
}

func (e *URIError) Error() string { return fmt.Sprintf("bad resource URI %q: %s", e.URI, e.Reason) }

// ParseURI splits <framework>://[<version>]/<path> and checks the path with
// srctree.CleanPath after percent-decoding it, so that an encoded ".."
// (%2e%2e) is refused like a plain one.
func ParseURI(raw string) (scheme, ver, p string, err error) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok || scheme == "" {
		return "", "", "", &URIError{raw, "expected <framework>:///<path>"}
	}
	if strings.ContainsAny(rest, "?#") {
		return "", "", "", &URIError{raw, "query and fragment are not supported"}
	}
	authority, rawPath, ok := strings.Cut(rest, "/")
	if !ok {
		return "", "", "", &URIError{raw, "no path after the version"}
	}
	if ver, err = url.PathUnescape(authority); err != nil {
		return "", "", "", &URIError{raw, "bad percent-encoding in the version"}
	}
	if p, err = url.PathUnescape(rawPath); err != nil {
		return "", "", "", &URIError{raw, "bad percent-encoding in the path"}
	}
	clean, err := srctree.CleanPath(p)
	if err != nil {
		return "", "", "", err
	}
	return strings.ToLower(scheme), ver, clean, nil
}

// fileURI is the resource URI of a file: each path element
// percent-encoded, so that any file name survives the round trip.
func fileURI(fw, ver, p string) string {
	parts := strings.Split(p, "/")
	for i, e := range parts {
		parts[i] = url.PathEscape(e)
	}
	return fw + "://" + url.PathEscape(ver) + "/" + strings.Join(parts, "/")
}

// readHandler serves every resource read, listed or by template.
func (s *Server) readHandler() mcp.ResourceHandler {
	return func(ctx context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
		raw := req.Params.URI
		data, err := s.read(withProgress(ctx, req.Session, req.Params.GetProgressToken()), raw)
		if err != nil {
			s.log.Info("read refused", "uri", raw, "error", err)
			return nil, readError(raw, err)
		}
		c := &mcp.ResourceContents{URI: raw, MIMEType: mimeType(raw)}
		if utf8.Valid(data) {
			c.Text = string(data)
		} else {
			c.Blob = data
		}
		return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{c}}, nil
	}
}

func (s *Server) read(ctx context.Context, raw string) ([]byte, error) {
	scheme, ver, p, err := ParseURI(raw)
	if err != nil {
		return nil, err
	}
	st, err := s.state(scheme)
	if err != nil {
		return nil, err
	}
	c, err := s.at(ctx, st, ver)
	if err != nil {
		return nil, err
	}
	data, err := c.Tree.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("%s at %s: %w", st.fw.Name, c.Tag, err)
	}
	return data, nil
}

// readError turns a failed read into a JSON-RPC error. A file that is not
// there and a request that cannot be served as asked are both invalid
// params (-32602, which MCP also uses for "resource not found"); the
// message says which and why. Anything else is an internal error.
func readError(uri string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	data, _ := json.Marshal(map[string]string{"uri": uri})
	code := int64(jsonrpc.CodeInternalError)
	var (
		pe *srctree.PathError
		ue *URIError
		fe *frameworks.UnknownError
		ns *srctree.NotServedError
	)
	if errors.Is(err, srctree.ErrNotFound) || errors.As(err, &pe) || errors.As(err, &ue) || errors.As(err, &fe) || errors.As(err, &ns) {
		code = jsonrpc.CodeInvalidParams
	}
	return &jsonrpc.Error{Code: code, Message: err.Error(), Data: data}
}

// mimeType guesses a text MIME type from the file name; clients mostly use
// it to pick syntax highlighting.
func mimeType(p string) string {
	switch strings.ToLower(path.Ext(p)) {
	case ".py", ".pyi", ".pyx", ".pxd":
		return "text/x-python"
	case ".md":
		return "text/markdown"
	case ".rst":
		return "text/x-rst"
	case ".json":
		return "application/json"
	case ".yaml", ".yml":
		return "application/yaml"
	case ".toml":
		return "application/toml"
	case ".c", ".h":
		return "text/x-c"
	case ".cc", ".cpp", ".cxx", ".hh", ".hpp", ".hxx", ".cu", ".cuh", ".hip", ".inl":
		return "text/x-c++"
	case ".rs":
		return "text/x-rust"
	case ".go":
		return "text/x-go"
	case ".sh", ".bash":
		return "text/x-shellscript"
	}
	return "text/plain"
}
