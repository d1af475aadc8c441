//go:build unix

package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"math"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Environment of TestHTMLInChromium.
const (
	envChromium       = "PTTRUST_CHROMIUM"        // path of the browser; overrides the search
	envRequireBrowser = "PTTRUST_REQUIRE_BROWSER" // "1": a missing browser fails the test
	envShotDir        = "PTTRUST_REPORT_SHOT_DIR" // if set, the rendered page and screenshot are copied there
	chromiumTimeout   = 60 * time.Second
)

// findChromium returns the browser to use: $PTTRUST_CHROMIUM, else /usr/bin/chromium, else
// chromium or chromium-browser on PATH.
func findChromium() (string, error) {
	if p := os.Getenv(envChromium); p != "" {
		if abs, err := exec.LookPath(p); err == nil {
			return abs, nil
		}
		return "", fmt.Errorf("%s=%q is not an executable", envChromium, p)
	}
	if st, err := os.Stat("/usr/bin/chromium"); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
		return "/usr/bin/chromium", nil
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no chromium found (looked for /usr/bin/chromium, chromium and chromium-browser on PATH)")
}

// runChromium runs the browser headless on url with extra flags, in its own process group so
// that a timeout kills its helper processes too, and returns its stdout.
func runChromium(t *testing.T, bin, profile, pageURL string, extra ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), chromiumTimeout)
	defer cancel()
	args := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--hide-scrollbars", "--user-data-dir=" + profile,
	}
	args = append(append(args, extra...), pageURL)
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	home := filepath.Join(profile, "home")
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+home+"/.config", "XDG_CACHE_HOME="+home+"/.cache")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	// Leave no helper process behind.
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	if ctx.Err() != nil {
		t.Fatalf("chromium %v timed out after %v\nstderr:\n%s", extra, chromiumTimeout, tail(stderr.String(), 3000))
	}
	if err != nil {
		t.Fatalf("chromium %v: %v\nstderr:\n%s", extra, err, tail(stderr.String(), 3000))
	}
	t.Logf("chromium %v: %v, %d bytes on stdout", extra, time.Since(start).Round(time.Millisecond), stdout.Len())
	return stdout.Bytes()
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// TestHTMLInChromium renders the HTML report in headless Chromium: the screenshot must not be
// blank (and must show the red flag markers, so the inline CSS applied), and the DOM the browser
// built must hold every flagged line's marker and escaped text, with no element injected by code.
func TestHTMLInChromium(t *testing.T) {
	bin, err := findChromium()
	if err != nil {
		if os.Getenv(envRequireBrowser) == "1" {
			t.Fatalf("%v, and %s=1 requires it (install: scripts/ci/install-chromium.sh)", err, envRequireBrowser)
		}
		t.Skipf("skipping: %v; install it (scripts/ci/install-chromium.sh) or set %s; %s=1 makes this a failure",
			err, envChromium, envRequireBrowser)
	}
	t.Logf("browser: %s", bin)

	dir := t.TempDir()
	r := sampleReport()
	page := filepath.Join(dir, "report.html")
	var b bytes.Buffer
	if err := WriteHTML(&b, r); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(page, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	pageURL := (&url.URL{Scheme: "file", Path: filepath.ToSlash(page)}).String()
	shot := filepath.Join(dir, "shot.png")

	runChromium(t, bin, filepath.Join(dir, "profile-shot"), pageURL, "--screenshot="+shot, "--window-size=1200,900")
	dom := string(runChromium(t, bin, filepath.Join(dir, "profile-dom"), pageURL, "--dump-dom"))

	if d := os.Getenv(envShotDir); d != "" {
		if err := os.MkdirAll(d, 0o755); err == nil {
			for _, f := range []string{page, shot} {
				if data, err := os.ReadFile(f); err == nil {
					_ = os.WriteFile(filepath.Join(d, filepath.Base(f)), data, 0o644)
				}
			}
			_ = os.WriteFile(filepath.Join(d, "dom.html"), []byte(dom), 0o644)
		}
	}

	checkScreenshot(t, shot)
	checkDOM(t, r, dom)
}

func checkScreenshot(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	bnd := img.Bounds()
	if bnd.Dx() < 600 || bnd.Dy() < 400 {
		t.Fatalf("screenshot is %dx%d, want about 1200x900", bnd.Dx(), bnd.Dy())
	}
	st := imageStats(img)
	t.Logf("screenshot %dx%d: %d colours, dominant %.1f %%, %d colours ≥ 0.1 %%, luminance sd %.1f, %d flag-red pixels",
		bnd.Dx(), bnd.Dy(), st.colors, 100*st.dominant, st.common, st.lumSD, st.red)
	if st.dominant > 0.985 {
		t.Errorf("screenshot is (nearly) blank: one colour covers %.1f %% of it", 100*st.dominant)
	}
	if st.common < 3 {
		t.Errorf("screenshot has only %d colours covering ≥ 0.1 %% each", st.common)
	}
	if st.lumSD < 5 {
		t.Errorf("screenshot luminance barely varies (sd %.2f)", st.lumSD)
	}
	if st.red < 50 {
		t.Errorf("screenshot shows no red flag markers (%d pixels): the inline CSS did not apply", st.red)
	}
}

type imgStats struct {
	colors, common, red int
	dominant, lumSD     float64
}

func imageStats(img image.Image) imgStats {
	b := img.Bounds()
	hist := map[uint32]int{}
	var sum, sum2 float64
	var st imgStats
	n := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r16, g16, b16, _ := img.At(x, y).RGBA()
			r, g, bl := r16>>8, g16>>8, b16>>8
			hist[(r>>4)<<8|(g>>4)<<4|bl>>4]++
			l := 0.2126*float64(r) + 0.7152*float64(g) + 0.0722*float64(bl)
			sum += l
			sum2 += l * l
			// The flag marker background #c8102e, allowing for anti-aliasing.
			if r > 150 && g < 90 && bl < 110 {
				st.red++
			}
			n++
		}
	}
	st.colors = len(hist)
	maxc := 0
	for _, c := range hist {
		maxc = max(maxc, c)
		if float64(c) >= 0.001*float64(n) {
			st.common++
		}
	}
	st.dominant = float64(maxc) / float64(n)
	mean := sum / float64(n)
	st.lumSD = math.Sqrt(max(0, sum2/float64(n)-mean*mean))
	return st
}

func checkDOM(t *testing.T, r *Report, dom string) {
	t.Helper()
	if !strings.Contains(dom, "<title>") || !strings.Contains(dom, `id="flagged-total">2<`) {
		t.Fatalf("dumped DOM is not the report:\n%s", tail(dom, 2000))
	}
	nFlagged := 0
	for fi, f := range r.Files {
		for _, l := range f.Lines {
			rowRE := regexp.MustCompile(fmt.Sprintf(`(?s)<tr id="f%d-L%d" class="([^"]*)" data-line="%d"[^>]*>(.*?)</tr>`, fi, l.Number, l.Number))
			m := rowRE.FindStringSubmatch(dom)
			if f.Error != "" {
				continue
			}
			if m == nil {
				t.Errorf("%s:%d: no row in the DOM", f.Path, l.Number)
				continue
			}
			if got := strings.Contains(" "+m[1]+" ", " flagged "); got != l.Flagged {
				t.Errorf("%s:%d: class %q, flagged = %v", f.Path, l.Number, m[1], l.Flagged)
			}
			if !strings.Contains(m[2], `<td class="src">`+textEscape(sanitize(l.Text))+`</td>`) {
				t.Errorf("%s:%d: row does not hold the escaped code text %q:\n%s", f.Path, l.Number, l.Text, m[2])
			}
			if l.Flagged {
				nFlagged++
				if !strings.Contains(dom, fmt.Sprintf(`<details class="flag" id="f%d-L%d-why" data-line="%d" open="">`, fi, l.Number, l.Number)) {
					t.Errorf("%s:%d: no details panel in the DOM", f.Path, l.Number)
				}
				for _, lat := range l.Latents {
					if !strings.Contains(dom, fmt.Sprintf("<strong>latent %d</strong>", lat.Index)) {
						t.Errorf("%s:%d: latent %d missing from the DOM", f.Path, l.Number, lat.Index)
					}
				}
			}
		}
	}
	if got := len(regexp.MustCompile(`class="line flagged"`).FindAllString(dom, -1)); got != nFlagged || nFlagged == 0 {
		t.Errorf("DOM holds %d flagged rows, want %d", got, nFlagged)
	}
	// The code line "</script><b>bold</b>" must stay text: no <b> element, no script.
	if strings.Contains(dom, "<b>") || strings.Contains(strings.ToLower(dom), "<script") {
		t.Error("code text became markup in the browser's DOM")
	}
}
