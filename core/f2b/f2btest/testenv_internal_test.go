package f2btest

import (
	"testing"

	"github.com/bangui/bangui/internal/testenv"
)

func testenvRequire(tb testing.TB) { testenv.Require(tb, "fail2ban-server", "fail2ban-client") }
