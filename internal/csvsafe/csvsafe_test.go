package csvsafe

import (
	"bytes"
	"encoding/csv"
	"testing"
	"testing/quick"
)

func TestCell(t *testing.T) {
	tests := []struct{ in, want string }{
		{`=HYPERLINK("http://evil.example","Click")`, `'=HYPERLINK("http://evil.example","Click")`},
		{"+1 555 0100", "'+1 555 0100"},
		{"-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"},
		{"@SUM(A1:A2)", "'@SUM(A1:A2)"},
		{"\t=1+1", "'\t=1+1"},
		{"\r=1+1", "'\r=1+1"},
		{"'=1+1", "''=1+1"}, // a quote of its own survives Unquote
		{"'-5", "''-5"},
		// Plain numbers stay numbers.
		{"-5", "-5"},
		{"-0.25", "-0.25"},
		{"42", "42"},
		// Harmless text is left alone.
		{"Vladivostok", "Vladivostok"},
		{"'quoted'", "'quoted'"},
		{"a=b", "a=b"},
		{"", ""},
		{"-", "'-"},
		{"-5.", "'-5."},
		{"-1e3", "'-1e3"},
	}
	for _, tt := range tests {
		if got := Cell(tt.in); got != tt.want {
			t.Errorf("Cell(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := Unquote(Cell(tt.in)); got != tt.in {
			t.Errorf("Unquote(Cell(%q)) = %q", tt.in, got)
		}
	}
}

func TestUnquoteUndoesCell(t *testing.T) {
	if err := quick.Check(func(s string) bool { return Unquote(Cell(s)) == s }, nil); err != nil {
		t.Error(err)
	}
	for _, prefix := range []string{"", "'", "''", "-", "'-", "=", "'=", "@", "\t", "'\r"} {
		for _, s := range []string{"", "5", "-5", "x", "'", "=1"} {
			if in := prefix + s; Unquote(Cell(in)) != in {
				t.Errorf("Unquote(Cell(%q)) = %q", in, Unquote(Cell(in)))
			}
		}
	}
	// What Cell never writes is read as it is.
	for _, s := range []string{"'hello", "'-5", "'", "''"} {
		if got := Unquote(s); got != s {
			t.Errorf("Unquote(%q) = %q, want it unchanged", s, got)
		}
	}
}

func TestWriter(t *testing.T) {
	var b bytes.Buffer
	w := NewWriter(&b)
	if err := w.Write([]string{"=1+1", "-5", "Busan, Korea"}); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	if got, want := b.String(), "'=1+1,-5,\"Busan, Korea\"\n"; got != want {
		t.Errorf("wrote %q, want %q", got, want)
	}
	rec, err := csv.NewReader(&b).Read()
	if err != nil || len(rec) != 3 || rec[0] != "'=1+1" {
		t.Errorf("read back %q, %v", rec, err)
	}
}
