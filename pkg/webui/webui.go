package webui

import (
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"errors"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/jml-dev/jml/pkg/compile"
	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/graph"
	"github.com/jml-dev/jml/pkg/history"
)

// Options configure the view.
type Options struct {
	// Graph is the repository's compiled flows, for the flow pages (nil:
	// the pages show runs but no graph).
	Graph *compile.Graph
	// Base is the URL prefix the view is served under: "" for jml
	// history serve, "/ui" under jml serve. The handler serves Base/…
	// and builds every link under it.
	Base string
	// Now is the clock of the periods (nil: time.Now).
	Now func() time.Time
	// Token, when set, is needed by every request: as the header
	// Authorization: Bearer TOKEN, or once as ?token=TOKEN, which sets an
	// HttpOnly, SameSite=Strict cookie (holding a digest of the token,
	// not the token) and redirects to the same page without it.
	Token string
	// Redactor, when set, replaces the secrets it knows in everything
	// read from the history before it is shown (the history is redacted
	// when written; this is the secrets known since).
	Redactor *effect.Redactor
}

// CSP is the Content-Security-Policy of every response: nothing from
// elsewhere, no inline script or style, no framing, forms only to the
// view itself.
const CSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// cookieName is the session cookie ?token= sets.
const cookieName = "jml_ui"

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// server is the view.
type server struct {
	store *history.Store
	o     Options
	pages map[string]*template.Template
	// token is the SHA-256 of the token; session the cookie's value.
	token, session [32]byte
}

// New returns the view of store.
func New(store *history.Store, opts Options) (http.Handler, error) {
	if store == nil {
		return nil, errors.New("webui: no history store")
	}
	opts.Base = strings.TrimRight(opts.Base, "/")
	if opts.Base != "" && !strings.HasPrefix(opts.Base, "/") {
		return nil, errors.New("webui: Base must start with /")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &server{store: store, o: opts, pages: map[string]*template.Template{}}
	if opts.Token != "" {
		s.token = sha256.Sum256([]byte(opts.Token))
		s.session = sha256.Sum256([]byte("jml webui session\x00" + opts.Token))
	}
	for _, name := range []string{"overview", "runs", "run", "flow", "user", "error"} {
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, err
		}
		s.pages[name] = t
	}
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.overview)
	mux.HandleFunc("GET /runs", s.runs)
	mux.HandleFunc("GET /runs/{id}", s.run)
	mux.HandleFunc("GET /flows/{name}", s.flow)
	mux.HandleFunc("GET /users/{login}", s.user)
	files := http.FileServerFS(static)
	// The flow drawing's style sheet is the graph package's, the one the
	// standalone `jml graph --format svg` embeds.
	mux.HandleFunc("GET /static/graph.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		w.Header().Set("Cache-Control", "private, max-age=3600")
		io.WriteString(w, graph.SVGStyle)
	})
	mux.Handle("GET /static/", http.StripPrefix("/static", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			s.fail(w, r, http.StatusNotFound, "no such page")
			return
		}
		w.Header().Set("Cache-Control", "private, max-age=3600")
		files.ServeHTTP(w, r)
	})))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, http.StatusNotFound, "no such page")
	})
	var h http.Handler = mux
	if opts.Base != "" {
		h = http.StripPrefix(opts.Base, mux)
	}
	return s.guard(h), nil
}

// guard sets the security headers of every response, refuses what is
// not a read, and checks the token.
func (s *server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", CSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			s.fail(w, r, http.StatusMethodNotAllowed, "this view is read-only: only GET and HEAD")
			return
		}
		if s.o.Base != "" && r.URL.Path == s.o.Base {
			http.Redirect(w, r, s.o.Base+"/", http.StatusMovedPermanently)
			return
		}
		if s.o.Base != "" && !strings.HasPrefix(r.URL.Path, s.o.Base+"/") {
			s.fail(w, r, http.StatusNotFound, "no such page")
			return
		}
		if s.o.Token != "" && !s.authorized(w, r) {
			return
		}
		next.ServeHTTP(w, r)
	})
}

// authorized checks the request's token (header, cookie, or ?token=,
// which sets the cookie and redirects to the page without it); when it
// answers false it has written the response.
func (s *server) authorized(w http.ResponseWriter, r *http.Request) bool {
	if auth, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		if s.is(s.token, auth) {
			return true
		}
	}
	if c, err := r.Cookie(cookieName); err == nil {
		if got, err := hex.DecodeString(c.Value); err == nil && subtle.ConstantTimeCompare(got, s.session[:]) == 1 {
			return true
		}
	}
	q := r.URL.Query()
	if tok := q.Get("token"); tok != "" && s.is(s.token, tok) {
		path := s.o.Base + "/"
		http.SetCookie(w, &http.Cookie{Name: cookieName, Value: hex.EncodeToString(s.session[:]), Path: path, HttpOnly: true,
			SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
		q.Del("token")
		u := url.URL{Path: r.URL.Path, RawQuery: q.Encode()}
		if u.Path == "" {
			u.Path = path
		}
		http.Redirect(w, r, u.String(), http.StatusSeeOther)
		return false
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="jml history"`)
	s.fail(w, r, http.StatusUnauthorized, "this view needs its token: open it once with ?token=TOKEN (a cookie keeps it for the browser session), or send Authorization: Bearer TOKEN")
	return false
}

// is compares a token given with the one expected, in constant time (of
// digests: the length does not show either).
func (s *server) is(want [32]byte, got string) bool {
	sum := sha256.Sum256([]byte(got))
	return subtle.ConstantTimeCompare(sum[:], want[:]) == 1
}
