package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/jml-dev/jml/pkg/ast"
	"github.com/jml-dev/jml/pkg/connector"
	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/project"
	"github.com/jml-dev/jml/pkg/temporal"
)

// temporalFlags are the Temporal flags of jml worker, apply --temporal and
// serve --temporal; empty when not given.
type temporalFlags struct {
	HostPort, Namespace, TaskQueue string
}

// temporalConn is the one rule for where the Temporal commands connect:
// each flag over jml.yaml's temporal: section over the default (namespace
// default, task queue jml); TLS and the API key come from jml.yaml only,
// their secrets registered with secrets. Without a host and port anywhere
// it is a usage error. Errors in the section name its file:line:col.
func temporalConn(io *IOStreams, proj *project.Project, fl temporalFlags, secrets *effect.Redactor) (temporal.Connection, string, error) {
	if fl.HostPort == temporalFromConfig {
		fl.HostPort = ""
	}
	var cfg ast.Temporal
	if proj.Config != nil {
		cfg = proj.Config.Temporal
	}
	pick := func(flag string, s ast.String, def string) string {
		switch {
		case flag != "":
			return flag
		case s.Value != "":
			return s.Value
		}
		return def
	}
	conn := temporal.Connection{HostPort: pick(fl.HostPort, cfg.HostPort, ""), Namespace: pick(fl.Namespace, cfg.Namespace, "default")}
	queue := pick(fl.TaskQueue, cfg.TaskQueue, temporal.DefaultTaskQueue)
	if conn.HostPort == "" {
		return conn, "", usageError{fmt.Errorf("--temporal HOST:PORT is required (or temporal.hostPort in jml.yaml)")}
	}
	if proj.Config == nil {
		return conn, queue, nil
	}
	f := proj.Config.File
	at := func(n *yaml.Node, field string, err error) error {
		return fmt.Errorf("%s: temporal.%s: %v", f.Range(n), field, err)
	}
	if cfg.APIKey != nil {
		key, err := connector.Secret(cfg.APIKey, "temporal.apiKey", io.Getenv, proj.Root, secrets)
		if err != nil {
			return conn, "", fmt.Errorf("%s: %v", f.Range(cfg.APIKey), err)
		}
		conn.APIKey = key
	}
	if t := cfg.TLS; t != nil {
		var files temporal.TLSFiles
		read := func(s ast.String, field string) ([]byte, error) {
			if s.Value == "" {
				return nil, nil
			}
			p := s.Value
			if !filepath.IsAbs(p) {
				p = filepath.Join(proj.Root, p)
			}
			b, err := os.ReadFile(p)
			if err != nil {
				if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
					err = pe.Err // the path is said once, as written in jml.yaml
				}
				return nil, at(s.Node, field, fmt.Errorf("cannot read %s: %v", s.Value, err))
			}
			if b == nil {
				b = []byte{} // read, and empty: TLSConfig says so
			}
			return b, nil
		}
		var err error
		if files.CA, err = read(t.CAFile, "tls.caFile"); err != nil {
			return conn, "", err
		}
		if files.Cert, err = read(t.CertFile, "tls.certFile"); err != nil {
			return conn, "", err
		}
		if t.Key != nil {
			key, err := connector.Secret(t.Key, "temporal.tls.key", io.Getenv, proj.Root, secrets)
			if err != nil {
				return conn, "", fmt.Errorf("%s: %v", f.Range(t.Key), err)
			}
			files.Key = []byte(key)
		}
		files.ServerName = t.ServerName.Value
		if conn.TLS, err = temporal.TLSConfig(files); err != nil {
			return conn, "", fmt.Errorf("%s: temporal.tls: %v", f.Range(t.Node), err)
		}
	}
	return conn, queue, nil
}

// addTemporalFlags adds --temporal, --namespace and --task-queue, empty
// by default: temporalConn falls back on jml.yaml, then the defaults.
func addTemporalFlags(cmd *cobra.Command, hostPort, namespace, taskQueue *string, hostUsage string) {
	cmd.Flags().StringVar(hostPort, "temporal", "", hostUsage)
	cmd.Flags().Lookup("temporal").NoOptDefVal = temporalFromConfig
	cmd.Flags().StringVar(namespace, "namespace", "", "Temporal namespace (default: temporal.namespace in jml.yaml, else \"default\")")
	cmd.Flags().StringVar(taskQueue, "task-queue", "", "Temporal task queue (default: temporal.taskQueue in jml.yaml, else \""+temporal.DefaultTaskQueue+"\")")
}

// temporalFromConfig is --temporal given without a value (its
// NoOptDefVal): temporal.hostPort of jml.yaml.
const temporalFromConfig = "jml.yaml"

// temporalArgs glues the HOST:PORT of `--temporal HOST:PORT` to its flag
// (--temporal=HOST:PORT) before cobra parses the command line: the flag's
// value is optional (--temporal alone is temporal.hostPort of jml.yaml),
// and cobra takes an optional value only after '='. The argument after
// --temporal is its value when it is HOST:PORT and names no file (jml
// apply --temporal events.ndjson keeps its events).
func temporalArgs(io *IOStreams, args []string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...)
		}
		if a == "--temporal" && i+1 < len(args) && isHostPort(args[i+1]) {
			if _, err := os.Stat(io.Path(args[i+1])); err != nil {
				out = append(out, a+"="+args[i+1])
				i++
				continue
			}
		}
		out = append(out, a)
	}
	return out
}

func isHostPort(s string) bool {
	_, port, err := net.SplitHostPort(s)
	return err == nil && port != "" && strings.Trim(port, "0123456789") == ""
}
