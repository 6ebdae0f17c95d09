package core_test

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestCoreImportBoundary fails when anything under core/ depends, directly
// or not, on the UI toolkit or on SSH: core is the domain, tested without a
// display, and remote/ implements its interfaces from outside.
func TestCoreImportBoundary(t *testing.T) {
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	out, err := exec.Command(goBin, "list", "-deps", "-test", "github.com/bangui/bangui/core/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 20 {
		t.Fatalf("go list gave too little to judge: %v", deps)
	}
	for _, d := range deps {
		if strings.HasPrefix(d, "fyne.io/") || strings.HasPrefix(d, "golang.org/x/crypto/ssh") ||
			strings.HasPrefix(d, "github.com/bangui/bangui/ui") || strings.HasPrefix(d, "github.com/bangui/bangui/remote") {
			t.Errorf("core depends on %s", d)
		}
	}
}
