package view

import "github.com/charmbracelet/lipgloss"

// Styles are the lipgloss styles of one output stream. The zero value
// renders plain text.
type Styles struct {
	Error, Warning, Path, Code, Dim, Bold, OK lipgloss.Style
}

// NewStyles builds styles for a renderer (colour decided by the caller when
// it built the renderer).
func NewStyles(r *lipgloss.Renderer) Styles {
	return Styles{
		Error:   r.NewStyle().Foreground(lipgloss.Color("1")).Bold(true),
		Warning: r.NewStyle().Foreground(lipgloss.Color("3")).Bold(true),
		Path:    r.NewStyle().Bold(true),
		Code:    r.NewStyle().Foreground(lipgloss.Color("6")),
		Dim:     r.NewStyle().Faint(true),
		Bold:    r.NewStyle().Bold(true),
		OK:      r.NewStyle().Foreground(lipgloss.Color("2")).Bold(true),
	}
}
