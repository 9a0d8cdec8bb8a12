package effect

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
)

func TestRedactorForms(t *testing.T) {
	const secret = `s3cr+t/<&>"é=`
	jsonHTML, _ := json.Marshal(secret)
	var noHTML strings.Builder
	enc := json.NewEncoder(&noHTML)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(secret)
	tests := []struct{ name, text string }{
		{"raw", "token " + secret + " echoed"},
		{"JSON, HTML-escaped", string(jsonHTML)},
		{"JSON", noHTML.String()},
		{"base64", "Basic-ish " + base64.StdEncoding.EncodeToString([]byte(secret))},
		{"base64 URL", base64.URLEncoding.EncodeToString([]byte(secret))},
		{"base64 without padding", base64.RawStdEncoding.EncodeToString([]byte(secret)) + "."},
		{"base64 URL without padding", "x." + base64.RawURLEncoding.EncodeToString([]byte(secret))},
		{"query-escaped", "a=1&secret=" + url.QueryEscape(secret)},
		{"path-escaped", "/users/" + url.PathEscape(secret)},
		{"base64 query-escaped", "assertion=" + url.QueryEscape(base64.StdEncoding.EncodeToString([]byte(secret)))},
	}
	r := NewRedactor([]string{secret})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := r.Redact(tt.text)
			if !strings.Contains(got, "***") {
				t.Fatalf("Redact(%q) = %q: nothing redacted", tt.text, got)
			}
			if b := string(r.RedactBytes([]byte(tt.text))); b != got {
				t.Errorf("RedactBytes = %q, Redact = %q", b, got)
			}
		})
	}
}

func TestRedactorGrowsAndIgnoresShortValues(t *testing.T) {
	var r Redactor // the zero value is usable
	if got := r.Redact("Bearer tok-123456"); got != "Bearer tok-123456" {
		t.Fatalf("an empty redactor changed the text: %q", got)
	}
	r.Add("abc", "", "tok-123456")
	r.Add("tok-123456") // again: nothing new
	if got := r.Redact("abc Bearer tok-123456"); got != "abc Bearer ***" {
		t.Errorf("after Add: %q", got)
	}
	// A secret containing another is replaced whole.
	r.Add("Bearer tok-123456")
	if got := r.Redact("abc Bearer tok-123456"); got != "abc ***" {
		t.Errorf("longest first: %q", got)
	}
	var nilR *Redactor
	nilR.Add("ignored-value")
	if nilR.Redact("ignored-value") != "ignored-value" || nilR.Len() != 0 {
		t.Error("a nil redactor redacts")
	}
}

// TestRedactorConcurrent: connectors add tokens while writers redact (go
// test -race).
func TestRedactorConcurrent(t *testing.T) {
	r := NewRedactor(nil)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for j := range 50 {
				r.Add(fmt.Sprintf("token-%d-%d", i, j))
			}
		}()
		go func() {
			defer wg.Done()
			for j := range 50 {
				_ = r.RedactBytes([]byte(fmt.Sprintf("token-%d-%d", i, j)))
			}
		}()
	}
	wg.Wait()
	for i := range 8 {
		for j := range 50 {
			if s := fmt.Sprintf("token-%d-%d", i, j); r.Redact(s) != "***" {
				t.Fatalf("%s not redacted after the adds", s)
			}
		}
	}
}
