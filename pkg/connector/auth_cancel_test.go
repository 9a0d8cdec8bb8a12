package connector

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jml-dev/jml/pkg/effect"
)

// TestOAuth2TokenRequestCancelled: a token request cut by the card's
// deadline is a retryable timeout; cut by cancellation (Ctrl-C), canceled —
// not a connection error.
func TestOAuth2TokenRequestCancelled(t *testing.T) {
	arrived := make(chan struct{}, 1)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)

	tests := []struct {
		name      string
		ctx       func() (context.Context, context.CancelFunc)
		cancel    bool // cancel once the request has arrived
		code      string
		retryable bool
	}{
		{"deadline passed", func() (context.Context, context.CancelFunc) {
			return context.WithDeadline(context.Background(), time.Unix(0, 0))
		}, false, "timeout", true},
		{"cancelled while waiting", func() (context.Context, context.CancelFunc) {
			return context.WithCancel(context.Background())
		}, true, "canceled", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &OAuth2{TokenURL: srv.URL, ClientID: "id", ClientSecret: "secret-value", HTTP: srv.Client()}
			ctx, cancel := tt.ctx()
			defer cancel()
			if tt.cancel {
				go func() {
					<-arrived
					cancel()
				}()
			}
			req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api", nil)
			err := a.Authorize(ctx, req)
			var e *effect.Error
			if !errors.As(err, &e) || e.Code != tt.code || e.Retryable != tt.retryable {
				t.Fatalf("got %#v, want code %s retryable %v", err, tt.code, tt.retryable)
			}
		})
	}
}
