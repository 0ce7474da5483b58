// Package docs is the user guide (Markdown files); its test checks that the repository's
// documentation stands alone: every relative link resolves inside the repository.
package docs

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// documentation is every Markdown file users read: the README, this guide, and the
// READMEs of deploy/ and examples/.
func documentation(t *testing.T, root string) []string {
	t.Helper()
	files := []string{filepath.Join(root, "README.md")}
	for _, dir := range []string{"docs", "deploy", "examples"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && (dir == "docs" && strings.HasSuffix(p, ".md") || d.Name() == "README.md") {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return files
}

var (
	fence = regexp.MustCompile("(?ms)^\\s*```.*?^\\s*```")
	code  = regexp.MustCompile("`[^`\n]*`")
	link  = regexp.MustCompile(`\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)
)

// links returns the link targets of a Markdown text, outside code.
func links(text string) []string {
	text = code.ReplaceAllString(fence.ReplaceAllString(text, ""), "")
	var out []string
	for _, m := range link.FindAllStringSubmatch(text, -1) {
		out = append(out, m[1])
	}
	return out
}

// anchors are the heading anchors GitHub gives a Markdown text: lower case, punctuation
// dropped, spaces as hyphens, -1, -2... for repeats.
func anchors(text string) map[string]bool {
	out := map[string]bool{}
	text = fence.ReplaceAllString(text, "")
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(line, "#") {
			continue
		}
		title := strings.TrimSpace(strings.TrimLeft(line, "#"))
		var b strings.Builder
		for _, r := range strings.ToLower(title) {
			switch {
			case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_':
				b.WriteRune(r)
			case r == ' ':
				b.WriteRune('-')
			}
		}
		a := b.String()
		for i := 1; out[a]; i++ {
			a = fmt.Sprintf("%s-%d", b.String(), i)
		}
		out[a] = true
	}
	return out
}

// TestLinksStayInTheRepository: every relative link of the documentation names a file or
// directory of the repository (and, with #anchor, a heading of that file), never a place
// outside it; and no page refers to the product specification, which users do not have.
func TestLinksStayInTheRepository(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	files := documentation(t, root)
	if len(files) < 10 {
		t.Fatalf("found %d documentation files: %v", len(files), files)
	}
	checked := 0
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, file)
		if strings.Contains(string(b), "SPEC.md") {
			t.Errorf("%s refers to SPEC.md, which is not part of the repository", rel)
		}
		for _, target := range links(string(b)) {
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			checked++
			path, anchor, _ := strings.Cut(target, "#")
			dest := file
			if path != "" {
				dest = filepath.Join(filepath.Dir(file), filepath.FromSlash(path))
			}
			if r, err := filepath.Rel(root, dest); err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
				t.Errorf("%s: link %s leaves the repository", rel, target)
				continue
			}
			st, err := os.Stat(dest)
			if err != nil {
				t.Errorf("%s: link %s: %v", rel, target, err)
				continue
			}
			if anchor == "" {
				continue
			}
			if st.IsDir() || !strings.HasSuffix(dest, ".md") {
				t.Errorf("%s: link %s: an anchor into something that is not a Markdown file", rel, target)
				continue
			}
			text, _ := os.ReadFile(dest)
			if !anchors(string(text))[anchor] {
				t.Errorf("%s: link %s: no heading with anchor #%s", rel, target, anchor)
			}
		}
	}
	if checked < 50 {
		t.Errorf("checked %d relative links, fewer than the documentation has", checked)
	}
}

func TestAnchors(t *testing.T) {
	got := anchors("# pullgen\n## What `pullgen render` reads\n## Install (the sidecar)\n```\n# not a heading\n```\n## Install (the sidecar)\n### Credentials from the sidecar environment\n")
	for _, want := range []string{"pullgen", "what-pullgen-render-reads", "install-the-sidecar", "install-the-sidecar-1", "credentials-from-the-sidecar-environment"} {
		if !got[want] {
			t.Errorf("no anchor %s in %v", want, got)
		}
	}
	if got["not-a-heading"] {
		t.Error("a comment in a code block made an anchor")
	}
}
