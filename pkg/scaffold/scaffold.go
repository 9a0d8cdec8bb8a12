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
// template tree, and the flow library of flows/ (every flow, not its
// jml.yaml or README.md, which speak about the library directory) under
// flows/ with its modelines pointing at SchemaBase.
func Files() ([]File, error) {
	var files []File
	err := fs.WalkDir(template, "template", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := template.ReadFile(p)
		if err != nil {
			return err
		}
		files = append(files, File{Path: strings.TrimPrefix(p, "template/"), Data: data})
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
