package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestConvert(t *testing.T) {
	const in = `{"release":"1.2.3","versions":[{"version":"V2","eventTypes":[
		{"id":"user.lifecycle.delete","category":"c","description":" Delete <user>. ","beta":true,"internal":false,"tags":["user"]},
		{"id":"user.lifecycle.create","category":"c","description":"Create user.","beta":false,"internal":true,"tags":["event-hook-eligible","user"]}
	]}]}`
	out, n, err := convert(strings.NewReader(in), "test-source")
	if err != nil {
		t.Fatalf("convert: %v", err)
	}
	if n != 2 {
		t.Errorf("n = %d, want 2", n)
	}
	want := `{"source":"test-source","release":"1.2.3","eventTypes":[
{"id":"user.lifecycle.create","description":"Create user.","category":"c","hookEligible":true,"beta":false,"internal":true},
{"id":"user.lifecycle.delete","description":"Delete <user>.","category":"c","hookEligible":false,"beta":true,"internal":false}
]}
`
	if string(out) != want {
		t.Errorf("convert output:\n%s\nwant:\n%s", out, want)
	}
	if !json.Valid(out) {
		t.Error("output is not valid JSON")
	}
}

func TestConvertErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{"not json", `{`},
		{"no release", `{"versions":[{"eventTypes":[{"id":"a.b"}]}]}`},
		{"no versions", `{"release":"1"}`},
		{"no event types", `{"release":"1","versions":[{"eventTypes":[]}]}`},
		{"empty id", `{"release":"1","versions":[{"eventTypes":[{"id":""}]}]}`},
		{"glob id", `{"release":"1","versions":[{"eventTypes":[{"id":"a.*"}]}]}`},
		{"duplicate id", `{"release":"1","versions":[{"eventTypes":[{"id":"a.b"},{"id":"a.b"}]}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := convert(strings.NewReader(tt.in), "s"); err == nil {
				t.Error("convert succeeded, want error")
			}
		})
	}
}
