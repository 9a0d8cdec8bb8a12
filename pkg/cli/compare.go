package cli

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/jml-dev/jml/pkg/engine"
	"github.com/jml-dev/jml/pkg/event"
	"github.com/jml-dev/jml/pkg/history"
	"github.com/jml-dev/jml/pkg/plan"
	"github.com/jml-dev/jml/pkg/project"
	"github.com/jml-dev/jml/pkg/replay"
	"github.com/jml-dev/jml/pkg/view"
)

// compareRun is jml plan --compare REF: the same events planned with the
// flows at REF and with the working tree, and the behavioural difference.
func compareRun(o *PlanOptions) error {
	proj, spec, err := o.load(o.IO, o.Color, o.Config)
	if err != nil {
		return err
	}
	at, atEnd, err := parseSchedule(o.At, o.Window)
	if err != nil {
		return err
	}
	// The events are read once: stdin cannot be read twice.
	var events []*event.Event
	if len(o.Events) > 0 {
		events, err = eventReader{io: o.IO, color: o.Color, proj: proj, sandbox: o.Sandbox}.load(o.Events, o.KeepGoing)
		if err != nil {
			return err
		}
	}

	// The commits first: the checkout below may be under TMPDIR, inside
	// the working tree.
	baseCommit, headCommit, dirty := compareCommits(proj.Root, o.Compare)
	dir, cleanup, err := checkoutConfigDir(o.Compare, proj)
	if err != nil {
		return err
	}
	defer cleanup()
	oldCfg := filepath.Join(dir, filepath.Base(proj.ConfigPath))
	old, ds := project.Load(project.Options{Config: oldCfg, WorkDir: dir})
	if ds.HasErrors() {
		printDiagnostics(o.IO, o.Color, ds, old)
		return fmt.Errorf("the flows at %s do not validate: nothing to compare against", o.Compare)
	}

	planWith := func(p *project.Project) (*plan.Plan, error) {
		digest, files := plan.Digest(p.Sources)
		pl := replay.NewPlanner(p.Graph, digest, files)
		flow := o.Flow
		if flow != "" {
			if _, ok := p.Graph.Flows[flow]; !ok {
				flow = "\x00none" // the flow does not exist on this side: no runs
			}
		}
		stats, err := replay.Run(context.Background(), replay.Options{Graph: p.Graph, Events: events, World: spec, Mode: engine.ModePlan,
			Flow: flow, At: at, AtEnd: atEnd}, func(r replay.Result) error {
			pl.Add(r)
			return nil
		})
		return pl.Finish(stats), err
	}
	base, err := planWith(old)
	if err != nil {
		return fmt.Errorf("planning with the flows at %s: %v", o.Compare, err)
	}
	head, err := planWith(proj)
	if err != nil {
		return err
	}
	d := plan.Compare(o.Compare, base, "the working tree", head)
	d.BaseCommit, d.HeadCommit, d.HeadDirty = baseCommit, headCommit, dirty
	users := map[string]string{}
	for _, ev := range events {
		users[ev.UUID], _ = history.UserOf(ev)
	}
	d.SetUsers(func(uuid string) string { return users[uuid] })
	switch o.Format {
	case "json":
		if err := view.DiffJSON(o.IO.Out, d); err != nil {
			return err
		}
	case "markdown":
		view.DiffMarkdown(o.IO.Out, d)
	default:
		view.DiffText(o.IO.Out, d, o.IO.styles(o.IO.Out, o.Color, o.IO.OutTTY))
	}
	if o.DetailedExitcode && d.Differs() {
		return exitError{ExitChanges}
	}
	return nil
}

// checkoutConfigDir writes the directory of jml.yaml as it is at git ref
// REF into a temporary directory (git archive: the working tree and the
// index are not touched) and returns the copy of that directory.
func checkoutConfigDir(ref string, proj *project.Project) (string, func(), error) {
	if strings.HasPrefix(ref, "-") {
		return "", nil, usageError{fmt.Errorf("--compare %q: not a git ref", ref)}
	}
	root, err := gitOutput(proj.Root, "rev-parse", "--show-toplevel")
	if err != nil {
		return "", nil, fmt.Errorf("--compare needs a git repository: %v", err)
	}
	root = strings.TrimSpace(root)
	if _, err := gitOutput(proj.Root, "rev-parse", "--verify", "--quiet", ref+"^{commit}"); err != nil {
		return "", nil, fmt.Errorf("--compare %s: no such commit in this repository", ref)
	}
	realRoot, _ := filepath.EvalSymlinks(root)
	realDir, _ := filepath.EvalSymlinks(proj.Root)
	rel, err := filepath.Rel(realRoot, realDir)
	if err != nil || strings.HasPrefix(rel, "..") {
		return "", nil, fmt.Errorf("jml.yaml (%s) is not inside the git repository %s", proj.Root, root)
	}
	tmp, err := os.MkdirTemp("", "jml-compare-")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { os.RemoveAll(tmp) }
	args := []string{"archive", "--format=tar", ref}
	if rel != "." {
		args = append(args, "--", filepath.ToSlash(rel))
	}
	cmd := exec.Command("git", args...)
	cmd.Dir = root
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		cleanup()
		msg := strings.TrimSpace(errb.String())
		if strings.Contains(msg, "did not match any files") {
			return "", nil, fmt.Errorf("--compare %s: %s does not exist at %s", ref, rel, ref)
		}
		return "", nil, fmt.Errorf("git archive %s: %s", ref, msg)
	}
	if err := untar(&out, tmp); err != nil {
		cleanup()
		return "", nil, err
	}
	return filepath.Join(tmp, rel), cleanup, nil
}

// compareCommits returns the commit ref names, the commit the working tree
// is on ("" before the first commit), and whether the directory of
// jml.yaml has changes (untracked files included) not in that commit.
func compareCommits(dir, ref string) (base, head string, dirty bool) {
	if strings.HasPrefix(ref, "-") {
		return "", "", true // not a ref: checkoutConfigDir refuses it
	}
	if out, err := gitOutput(dir, "rev-parse", "--verify", "--quiet", ref+"^{commit}"); err == nil {
		base = strings.TrimSpace(out)
	}
	if out, err := gitOutput(dir, "rev-parse", "--verify", "--quiet", "HEAD^{commit}"); err == nil {
		head = strings.TrimSpace(out)
	}
	out, err := gitOutput(dir, "status", "--porcelain", "--untracked-files=all", "--", ".")
	return base, head, err != nil || head == "" || strings.TrimSpace(out) != ""
}

func gitOutput(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		if msg := strings.TrimSpace(errb.String()); msg != "" {
			return "", errors.New(msg)
		}
		return "", err
	}
	return out.String(), nil
}

// untar extracts regular files and directories, refusing paths that leave
// dst.
func untar(r io.Reader, dst string) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.Clean(filepath.FromSlash(h.Name))
		if filepath.IsAbs(name) || strings.HasPrefix(name, "..") {
			return fmt.Errorf("git archive: unsafe path %q", h.Name)
		}
		p := filepath.Join(dst, name)
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(p, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
			if err != nil {
				return err
			}
			if _, err := io.Copy(f, tr); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
		}
	}
}
