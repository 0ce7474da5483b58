package sopsx

import (
	"io"

	"github.com/getsops/sops/v3/logging"
	"github.com/sirupsen/logrus"
)

// init silences the logrus loggers that the sops packages create in their own init
// functions (they run before this one, as this package imports them): sops would otherwise
// print to stderr, and its log fields may name files and keys.
func init() {
	for _, l := range logging.Loggers {
		l.SetOutput(io.Discard)
		l.SetLevel(logrus.PanicLevel)
	}
}
