// Package scaffold holds the files of a new jml repository, as `jml init`
// writes them: its own template tree (template/: jml.yaml with commented
// connector examples, recorded events with their provenance, a test per
// trigger flow, the GitHub Actions and GitLab CI pipelines, .gitignore) and
// the flow library, taken from the repository's flows/ directory through
// package flows, which embeds itself. Every jml YAML file carries the
// yaml-language-server modeline with the published schema URL.
//
// scaffold depends only on the standard library and package flows; it
// knows nothing of the CLI, terminals or the compiler (its tests check
// that the scaffold validates and that its tests pass).
package scaffold
