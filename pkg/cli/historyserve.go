package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/jml-dev/jml/pkg/compile"
	"github.com/jml-dev/jml/pkg/connector"
	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/project"
	"github.com/jml-dev/jml/pkg/webui"
)

// MinUITokenLen is the shortest token the web view takes: it is all that
// stands between the network and the history.
const MinUITokenLen = 16

// HistoryServeOptions are the inputs of `jml history serve`.
type HistoryServeOptions struct {
	IO      *IOStreams
	Color   string
	Config  string
	History string
	Addr    string
	// TokenEnv and TokenFile name the token's secret reference, as
	// jml.yaml's {env: NAME} and {file: PATH}; one at most.
	TokenEnv  string
	TokenFile string
	ReadyFile string
}

func newHistoryServeCmd(g *globals, hf *historyFlags, runF func(*HistoryServeOptions) error) *cobra.Command {
	o := &HistoryServeOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve a read-only web view of the history (runs, cards, flows, users)",
		Long: `Serve serves the history as web pages, read-only: an overview (runs per
day by status, the slowest cards, the vendors answering 429), the runs
(filtered by flow, status, user, event type and time, a page at a time; the
filters are in the URL), each run card by card (inputs, outputs, errors,
tries, helper calls nested; a halted or failed run shows why and the jml
resume command at the top), each flow's card graph coloured by each card's
success rate, and each user's runs with their latest jml verify.

It listens on loopback (127.0.0.1:8081) by default, where no token is
needed. Any other --addr needs a token, given as a secret reference:
--token-env NAME (an environment variable) or --token-file PATH; every
request must then carry it, as Authorization: Bearer TOKEN, or once as
?token=TOKEN, which sets a cookie for the browser session. Serve it behind
a proxy that terminates TLS: the token travels in the requests.

Pages have no script or style from elsewhere (everything is embedded),
every value from events and vendors is escaped, and every response carries
a strict Content-Security-Policy. jml serve serves the same pages under
/ui/. Stops on Ctrl-C or SIGTERM.`,
		Example: `  jml history serve
  JML_UI_TOKEN=$(openssl rand -hex 32) jml history serve --addr 0.0.0.0:8081 --token-env JML_UI_TOKEN
  jml history serve --history postgres://jml@db/jml --token-file /run/secrets/jml-ui`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.IO, o.Color, o.Config, o.History = g.io, g.color, g.config, hf.url
			host, _, err := net.SplitHostPort(o.Addr)
			if err != nil {
				return usageError{fmt.Errorf("--addr %q: %v", o.Addr, err)}
			}
			if o.TokenEnv != "" && o.TokenFile != "" {
				return usageError{errors.New("--token-env and --token-file both name the token: give one")}
			}
			if !loopback(host) && o.TokenEnv == "" && o.TokenFile == "" {
				return usageError{fmt.Errorf("--addr %q is not loopback: anyone who reaches it would read the history; give a token (--token-env NAME or --token-file PATH), or listen on 127.0.0.1", o.Addr)}
			}
			if runF != nil {
				return runF(o)
			}
			return historyServeRun(o)
		},
	}
	cmd.Flags().StringVar(&o.Addr, "addr", "127.0.0.1:8081", "address to listen on (port 0 picks a free one); not loopback: needs a token")
	cmd.Flags().StringVar(&o.TokenEnv, "token-env", "", "environment variable holding the token every request must carry")
	cmd.Flags().StringVar(&o.TokenFile, "token-file", "", "file holding the token every request must carry")
	cmd.Flags().StringVar(&o.ReadyFile, "ready-file", "", "write the URL to this file (or FIFO) once listening")
	return cmd
}

// loopback reports whether a listen host is loopback only.
func loopback(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}

// uiToken reads the token of --token-env or --token-file ("" for none),
// by the one rule of secret references ({env: NAME}, {file: PATH}).
func uiToken(o *HistoryServeOptions) (string, error) {
	ref, flag := "", ""
	switch {
	case o.TokenEnv != "":
		ref, flag = "{env: "+quoteYAML(o.TokenEnv)+"}", "--token-env"
	case o.TokenFile != "":
		ref, flag = "{file: "+quoteYAML(o.TokenFile)+"}", "--token-file"
	default:
		return "", nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(ref), &doc); err != nil || len(doc.Content) != 1 {
		return "", fmt.Errorf("%s: %q cannot be read (%v)", flag, o.TokenEnv+o.TokenFile, err)
	}
	tok, err := connector.Secret(doc.Content[0], flag, o.IO.Getenv, o.IO.WorkDir, nil)
	if err != nil {
		return "", err
	}
	if len(tok) < MinUITokenLen {
		return "", fmt.Errorf("%s: the token is %d characters; use at least %d (openssl rand -hex 32)", flag, len(tok), MinUITokenLen)
	}
	return tok, nil
}

// quoteYAML quotes s as a YAML double-quoted scalar.
func quoteYAML(s string) string {
	b, _ := yaml.Marshal(s)
	out := string(b)
	if len(out) > 0 && out[len(out)-1] == '\n' {
		out = out[:len(out)-1]
	}
	return out
}

func historyServeRun(o *HistoryServeOptions) (err error) {
	io := o.IO
	o.ReadyFile = io.Path(o.ReadyFile)
	ready := false
	defer func() { failReady(o.ReadyFile, "jml history serve", ready, err) }()
	token, err := uiToken(o)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	store, err := openHistoryFor(ctx, io, o.Config, o.History)
	if err != nil {
		return err
	}
	defer store.Close()
	// The flows, for the flow pages' graphs: a repository that does not
	// load (or none, with --history) leaves the pages without them.
	var g *compile.Graph
	proj, ds := project.Load(project.Options{Config: o.Config, Dir: io.WorkDir, WorkDir: io.WorkDir})
	if proj != nil && proj.Graph != nil && !ds.HasErrors() {
		g = proj.Graph
	} else if proj != nil && proj.Config != nil {
		fmt.Fprintln(io.ErrOut, "warning: the flows do not validate (jml validate): the flow pages show no graph")
	}
	h, err := webui.New(store, webui.Options{Graph: g, Token: token, Redactor: effect.NewRedactor([]string{token})})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return err
	}
	url := "http://" + ln.Addr().String()
	fmt.Fprintf(io.Out, "jml history serve listening on %s (history: %s)\n", url, store.Where)
	if token != "" {
		fmt.Fprintf(io.Out, "Open %s/?token=TOKEN once (the token of %s%s); the browser keeps it for the session.\n", url, o.TokenEnv, o.TokenFile)
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	if o.ReadyFile != "" {
		ready = true
		if err := os.WriteFile(o.ReadyFile, []byte(url+"\n"), 0o644); err != nil {
			hs.Close()
			return err
		}
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	fmt.Fprintln(io.Out, "jml history serve stopping")
	return hs.Shutdown(shut)
}
