package display

import (
	"strings"

	"github.com/charmbracelet/log"

	"github.com/weld-build/weld/builder"
)

// LogEvent logs a builder event on l: a published image, a warning and a
// notice at their levels, every other event at debug level.
func LogEvent(l *log.Logger, e builder.Event) {
	switch e.Type {
	case builder.EventPublished:
		l.Info("published", "step", e.Step, "digest", e.Message)
	case builder.EventWarning, builder.EventInfo:
		var kv []any // the checks' messages name their step already
		if e.Step != "" && !strings.Contains(e.Message, "step "+e.Step+":") {
			kv = []any{"step", e.Step}
		}
		if e.Type == builder.EventInfo {
			l.Info(e.Message, kv...)
			return
		}
		l.Warn(e.Message, kv...)
	default:
		l.Debug(string(e.Type), "step", e.Step)
	}
}
