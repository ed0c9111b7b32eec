package serve

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
)

// eachLine calls fn with the number (from 1) and the fields of every line
// of the file name's data that is neither blank nor a # comment: the shape
// of the tokens and secrets files.
func eachLine(name string, data []byte, fn func(n int, fields []string) error) error {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if err := fn(n, strings.Fields(line)); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading %s: %w", name, err)
	}
	return nil
}
