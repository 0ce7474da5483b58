package pullcheck

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// checkDoc is the page that documents the rules; its rule sections lie between these
// markers and are written from the rule table.
const (
	checkDoc    = "../../../docs/check.md"
	rulesBegin  = "<!-- The rules below are written from the rule table of internal/check/pullcheck: UPDATE_GOLDEN=1 go test ./internal/check/pullcheck -run TestCheckDocRules -->\n"
	rulesFinish = "<!-- end of the rules -->\n"
)

// allRules is every rule, offline then online.
func allRules() []RuleInfo { return append(append([]RuleInfo(nil), Rules...), OnlineRules...) }

// rulesMarkdown is the rule sections of docs/check.md: a table of every rule, then a
// section per rule (its anchor is its identifier) with what the finding means, the fix,
// and for an offline rule its runnable example.
func rulesMarkdown() string {
	var b strings.Builder
	b.WriteString("| rule | severity | finding |\n| --- | --- | --- |\n")
	online := map[string]bool{}
	for _, r := range OnlineRules {
		online[r.ID] = true
	}
	for _, r := range allRules() {
		fmt.Fprintf(&b, "| [`%s`](#%s) | %s | %s |\n", r.ID, r.ID, r.Severity, ruleDocs[r.ID].title)
	}
	for _, r := range allRules() {
		_, markdown := ruleHelp(r)
		where := " Example: [check-" + r.ID + "](../examples/check-" + r.ID + ")."
		if online[r.ID] {
			where = " With `--online`."
		}
		fmt.Fprintf(&b, "\n### `%s`\n\nSeverity: %s.%s\n", r.ID, r.Severity, where)
		for _, p := range strings.Split(markdown, "\n\n") {
			b.WriteString("\n" + wrap(p, 92) + "\n")
		}
	}
	return b.String()
}

// wrap breaks a Markdown paragraph into lines of at most width characters where it can,
// at spaces outside code spans.
func wrap(p string, width int) string {
	var lines []string
	line := ""
	for _, word := range codeWords(p) {
		if line != "" && len(line)+1+len(word) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	return strings.Join(append(lines, line), "\n")
}

// codeWords splits text at spaces, keeping each code span in one word.
func codeWords(p string) []string {
	var words []string
	inCode := false
	for _, w := range strings.Split(p, " ") {
		if inCode {
			words[len(words)-1] += " " + w
		} else {
			words = append(words, w)
		}
		if strings.Count(w, "`")%2 == 1 {
			inCode = !inCode
		}
	}
	return words
}

// TestRuleDocs: every rule has a title and a fix, and no other entry has; identifiers are
// their own anchors in docs/check.md; every offline rule has its example.
func TestRuleDocs(t *testing.T) {
	anchor := regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	seen := map[string]bool{}
	for _, r := range allRules() {
		d, ok := ruleDocs[r.ID]
		switch {
		case !ok:
			t.Errorf("rule %s has no entry in ruleDocs", r.ID)
		case d.title == "" || strings.HasSuffix(d.title, ".") || !strings.HasSuffix(d.fix, "."):
			t.Errorf("rule %s: title %q, fix %q: want a title without and a fix with a final period", r.ID, d.title, d.fix)
		case strings.Count(d.fix, "`")%2 != 0:
			t.Errorf("rule %s: unbalanced backticks in %q", r.ID, d.fix)
		}
		if !anchor.MatchString(r.ID) {
			t.Errorf("rule %s: not its own heading anchor", r.ID)
		}
		if seen[r.ID] {
			t.Errorf("rule %s listed twice", r.ID)
		}
		seen[r.ID] = true
	}
	for id := range ruleDocs {
		if !seen[id] {
			t.Errorf("ruleDocs documents %s, which is no rule", id)
		}
	}
	for _, r := range Rules {
		if st, err := os.Stat(filepath.Join("../../../examples", "check-"+r.ID)); err != nil || !st.IsDir() {
			t.Errorf("rule %s has no example examples/check-%s", r.ID, r.ID)
		}
	}
}

// TestCheckDocRules: docs/check.md has a section for every rule, the one SARIF help links
// to, saying what the SARIF help says. UPDATE_GOLDEN=1 rewrites the sections.
func TestCheckDocRules(t *testing.T) {
	b, err := os.ReadFile(checkDoc)
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	head, rest, ok1 := strings.Cut(page, rulesBegin)
	got, tail, ok2 := strings.Cut(rest, rulesFinish)
	if !ok1 || !ok2 {
		t.Fatalf("%s lacks the markers of its rule sections:\n%s%s", checkDoc, rulesBegin, rulesFinish)
	}
	want := rulesMarkdown()
	if os.Getenv("UPDATE_GOLDEN") == "1" {
		if err := os.WriteFile(checkDoc, []byte(head+rulesBegin+want+rulesFinish+tail), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if got != want {
		t.Errorf("the rule sections of %s are not those of the rule table: run UPDATE_GOLDEN=1 go test ./internal/check/pullcheck -run TestCheckDocRules\ngot:\n%s\nwant:\n%s", checkDoc, got, want)
	}
	for _, r := range allRules() {
		if !strings.Contains(got, "\n### `"+r.ID+"`\n") {
			t.Errorf("no section for rule %s", r.ID)
		}
	}
}

func TestWrap(t *testing.T) {
	tests := []struct {
		in    string
		width int
		want  string
	}{
		{"a b c", 3, "a b\nc"},
		{"a `b c` d", 4, "a\n`b c`\nd"},
		{"averylongword b", 4, "averylongword\nb"},
	}
	for _, tt := range tests {
		if got := wrap(tt.in, tt.width); got != tt.want {
			t.Errorf("wrap(%q, %d) = %q, want %q", tt.in, tt.width, got, tt.want)
		}
	}
}

func TestMarkdownCode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain text.", "plain text."},
		{"the <sa>-dockercfg-* secret", `the \<sa\>-dockercfg-\* secret`},
		{"add `<sa>-dockercfg-*` to [x]", "add `<sa>-dockercfg-*` to \\[x\\]"},
		{"a_b `c_d` e|f", "a\\_b `c_d` e\\|f"},
	}
	for _, tt := range tests {
		if got := markdownCode(tt.in); got != tt.want {
			t.Errorf("markdownCode(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
