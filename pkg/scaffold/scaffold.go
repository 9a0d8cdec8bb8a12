package scaffold

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/jml-dev/jml/flows"
)

// SchemaBase is where jml's JSON Schemas are published: the prefix of the
// $id of every schema in schemas/. Editors fetch the modeline's URL.
const SchemaBase = "https://jml.dev/schemas/"

// The template tree. all: keeps the dot files (.gitignore, .github/,
// .gitlab-ci.yml).
//
//go:embed all:template
var template embed.FS

// File is one file of a new repository.
type File struct {
	// Path is slash-separated and relative to the repository root.
	Path string
	Data []byte
}

// modeline matches the schema reference of a yaml-language-server modeline
// that points at one of jml's schemas by a relative path
// ($schema=../schemas/flow.schema.json).
var modeline = regexp.MustCompile(`(?m)^(# yaml-language-server: \$schema=)\S*?([a-z]+\.schema\.json)\s*$`)

// Files returns every file of a new repository, sorted by path: the
// template tree, with the CI files pinned to jml version (PinVersion),
// and the flow library of flows/ (every flow, not its jml.yaml or
// README.md, which speak about the library directory) under flows/ with
// its modelines pointing at SchemaBase.
func Files(version string) ([]File, error) {
	var files []File
	err := fs.WalkDir(template, "template", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := template.ReadFile(p)
		if err != nil {
			return err
		}
		files = append(files, File{Path: strings.TrimPrefix(p, "template/"), Data: PinVersion(data, version)})
		return nil
	})
	if err != nil {
		return nil, err
	}
	lib, err := fs.Glob(flows.FS, "*.yaml")
	if err != nil {
		return nil, err
	}
	for _, name := range lib {
		if name == "jml.yaml" {
			continue
		}
		data, err := fs.ReadFile(flows.FS, name)
		if err != nil {
			return nil, err
		}
		files = append(files, File{Path: path.Join("flows", name), Data: withModeline(data, "flow")})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, nil
}

// Placeholder is what the CI files set JML_VERSION to when jml init runs
// from a build that is not a release: installing it fails, naming it.
const Placeholder = "set-me-to-a-jml-release-tag"

// versionLine is the line of a CI file that sets the jml version it
// installs.
var versionLine = regexp.MustCompile(`(?m)^([ \t]*)JML_VERSION: .*$`)

// release matches a released module version: vMAJOR.MINOR.PATCH, with an
// optional pre-release (v1.0.0-rc.1) and no build metadata (+dirty).
var release = regexp.MustCompile(`^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$`)

// pseudo matches the tail of a Go pseudo-version
// (v0.0.0-20240301090000-0123456789ab): a commit, not a release.
var pseudo = regexp.MustCompile(`[-.][0-9]{14}-[0-9a-f]{12}$`)

// IsRelease reports whether version (jml version's) is a release a CI
// job can install with go install …@version.
func IsRelease(version string) bool {
	return release.MatchString(version) && !pseudo.MatchString(version)
}

// PinVersion sets the JML_VERSION line of a CI file to version when it is
// a release, else to Placeholder, each with a comment saying what it is.
// Files without the line are returned as they are.
func PinVersion(data []byte, version string) []byte {
	return versionLine.ReplaceAllFunc(data, func(line []byte) []byte {
		indent := string(versionLine.FindSubmatch(line)[1])
		var note []string
		value := version
		if IsRelease(version) {
			note = []string{
				"The jml release CI installs, pinned: the one that ran jml init. Move it",
				"on deliberately, as any dependency.",
			}
		} else {
			value = Placeholder
			note = []string{
				"The jml release CI installs. jml init had none to pin: it ran from a",
				"build that is not a release (jml version " + strconv.Quote(version) + "). Set this to a",
				"release tag of github.com/jml-dev/jml (vX.Y.Z); until then, installing",
				"jml fails, naming this value.",
			}
		}
		var b strings.Builder
		for _, n := range note {
			b.WriteString(indent + "# " + n + "\n")
		}
		b.WriteString(indent + "JML_VERSION: " + value)
		return []byte(b.String())
	})
}

// withModeline points a file's modeline at the published schema, or adds
// one for schema kind when the file has none.
func withModeline(data []byte, kind string) []byte {
	if modeline.Match(data) {
		return modeline.ReplaceAll(data, []byte("${1}"+SchemaBase+"${2}"))
	}
	return append([]byte("# yaml-language-server: $schema="+SchemaBase+kind+".schema.json\n"), data...)
}

// Existing returns the paths of files (slash-separated, relative to dir)
// that already exist in dir, in files' order.
func Existing(dir string, files []File) []string {
	var out []string
	for _, f := range files {
		if _, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(f.Path))); err == nil {
			out = append(out, f.Path)
		}
	}
	return out
}

// Write writes files into dir, creating directories as needed. An existing
// file is replaced (the caller decides whether it may be: see Existing);
// it is removed first, so that a symbolic link is replaced rather than
// written through. An existing directory where a file goes is an error.
func Write(dir string, files []File) error {
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if fi, err := os.Lstat(p); err == nil {
			if fi.IsDir() {
				return fmt.Errorf("%s is a directory", p)
			}
			if err := os.Remove(p); err != nil {
				return err
			}
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		w, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return err
		}
		_, err = w.Write(f.Data)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}
