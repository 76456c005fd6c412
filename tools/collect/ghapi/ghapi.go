// Package ghapi is collect's GitHub REST API client: go-github with a
// token, GitHub Enterprise base URLs, and waiting out rate limits.
package ghapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
)

// Client calls the GitHub REST API.
type Client struct {
	GH *github.Client
	// HTTP fetches what the API points to elsewhere (an artifact's
	// download URL, which is signed and gets no token).
	HTTP *http.Client
	// MaxWait is the longest the client waits for a rate limit to reset
	// before giving up.
	MaxWait time.Duration
	// Sleep waits (time.Sleep honouring ctx when nil); Log reports
	// progress (nil: silent).
	Sleep func(ctx context.Context, d time.Duration) error
	Log   func(format string, args ...any)
}

// NewClient returns a client for the API at baseURL ("" for api.github.com)
// with a token.
func NewClient(baseURL, token string) (*Client, error) {
	gh := github.NewClient(&http.Client{Timeout: 60 * time.Second}).WithAuthToken(token)
	if baseURL != "" && strings.TrimSuffix(baseURL, "/") != "https://api.github.com" {
		var err error
		if gh, err = gh.WithEnterpriseURLs(baseURL, baseURL); err != nil {
			return nil, fmt.Errorf("GITHUB_API_URL %q: %w", baseURL, err)
		}
	}
	return &Client{GH: gh, HTTP: &http.Client{Timeout: 10 * time.Minute}, MaxWait: 5 * time.Minute}, nil
}

// Logf reports progress through Log.
func (c *Client) Logf(format string, args ...any) {
	if c.Log != nil {
		c.Log(format, args...)
	}
}

func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	if c.Sleep != nil {
		return c.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Call runs call, and again while GitHub says the rate limit is exhausted
// and the limit resets within MaxWait; what names the call in errors.
func (c *Client) Call(ctx context.Context, what string, call func() (*github.Response, error)) error {
	for attempt := 1; ; attempt++ {
		_, err := call()
		if err == nil {
			return nil
		}
		var wait time.Duration
		var rle *github.RateLimitError
		var abuse *github.AbuseRateLimitError
		switch {
		case errors.As(err, &rle):
			wait = time.Until(rle.Rate.Reset.Time) + time.Second
			if wait > c.MaxWait || attempt > 5 {
				return fmt.Errorf("%s: GitHub API rate limit exhausted (%d requests per hour), it resets at %s, more than %s from now: %w",
					what, rle.Rate.Limit, rle.Rate.Reset.Time.UTC().Format(time.RFC3339), c.MaxWait, err)
			}
		case errors.As(err, &abuse):
			wait = time.Minute
			if abuse.RetryAfter != nil {
				wait = *abuse.RetryAfter
			}
			if wait > c.MaxWait || attempt > 5 {
				return fmt.Errorf("%s: GitHub API secondary rate limit, retry after %s: %w", what, wait, err)
			}
		default:
			return fmt.Errorf("%s: %w", what, err)
		}
		wait = max(wait, 0)
		c.Logf("rate limited by the GitHub API; waiting %s before retrying %s", wait.Round(time.Second), what)
		if err := c.sleep(ctx, wait); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
}
