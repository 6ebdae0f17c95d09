package f2b

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	pickle "github.com/kisielk/og-rek"

	"github.com/bangui/bangui/core"
)

// Markers of fail2ban's framing (fail2ban/protocol.py, CSPROTO).
const (
	endMarker   = "<F2B_END_COMMAND>"
	closeMarker = "<F2B_CLOSE_COMMAND>"
)

// pickleProtocol is the protocol requests are encoded with. Protocols 0-2
// write Go strings as py2 str, which the server decodes as ASCII, so
// "grüße" would fail; 3 and up write unicode.
const pickleProtocol = 4

// checkArgs refuses arguments that would break the framing: the server does
// not escape its markers, so an argument holding one splits the message and
// leaves the connection out of step.
func checkArgs(args []string) error {
	if len(args) == 0 {
		return core.Errorf(core.EINVALID, "empty fail2ban command")
	}
	for _, a := range args {
		if strings.Contains(a, endMarker) || strings.Contains(a, closeMarker) {
			return core.Errorf(core.EINVALID, "%q contains fail2ban's protocol marker and cannot be sent: remove the marker text", a)
		}
	}
	return nil
}

// encodeRequest returns the bytes of one request: the pickled argument list
// and the end marker.
func encodeRequest(args []string) ([]byte, error) {
	if err := checkArgs(args); err != nil {
		return nil, err
	}
	list := make([]any, len(args))
	for i, a := range args {
		list[i] = a
	}
	var buf bytes.Buffer
	enc := pickle.NewEncoderWithConfig(&buf, &pickle.EncoderConfig{Protocol: pickleProtocol})
	if err := enc.Encode(list); err != nil {
		return nil, fmt.Errorf("f2b: encode %q: %w", args[0], err)
	}
	buf.WriteString(endMarker)
	return buf.Bytes(), nil
}

// errReplyTooLarge is returned when a reply exceeds the client's cap.
var errReplyTooLarge = errors.New("reply too large")

// capReader counts what the decoder pulls from the connection and fails once
// a reply exceeds its budget, so a hostile or broken peer cannot make the
// client allocate without bound.
type capReader struct {
	r      io.Reader
	budget int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.budget <= 0 {
		return 0, errReplyTooLarge
	}
	if int64(len(p)) > c.budget {
		p = p[:c.budget]
	}
	n, err := c.r.Read(p)
	c.budget -= int64(n)
	return n, err
}

// readReply decodes one pickle from br and then requires the end marker.
// The decoder reads straight from the stream (it shares br), so marker text
// inside a reply, such as a log line, cannot cut the reply short.
func readReply(br *bufio.Reader) (any, error) {
	// NewDecoder reuses br (bufio.NewReader returns a big-enough
	// *bufio.Reader as is), so no byte past the pickle is consumed.
	v, err := pickle.NewDecoder(br).Decode()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, err
	}
	var tail [len(endMarker)]byte
	if _, err := io.ReadFull(br, tail[:]); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("reading end marker: %w", err)
	}
	if string(tail[:]) != endMarker {
		return nil, fmt.Errorf("reply not followed by %s (got %q)", endMarker, tail[:])
	}
	return v, nil
}

// decodeResult turns a decoded reply into the payload or an error: (0, x)
// is success, (1, exception) a *ServerError, a bare "ERROR: ..." string a
// protocol-level complaint by the server.
func decodeResult(v any) (any, error) {
	switch r := v.(type) {
	case pickle.Tuple:
		if len(r) == 2 {
			code, ok := r[0].(int64)
			if ok && code == 0 {
				return normalize(r[1]), nil
			}
			if ok && code == 1 {
				return nil, serverError(r[1])
			}
		}
	case string:
		return nil, &ProtocolError{Msg: "server refused the request: " + r}
	}
	return nil, &ProtocolError{Msg: fmt.Sprintf("unexpected reply shape %s", describe(v))}
}

// normalize replaces fail2ban's IPAddr objects, which pickle as
// builtins.str("1.2.3.4"), with plain strings, recursively.
func normalize(v any) any {
	switch x := v.(type) {
	case pickle.Call:
		if x.Callable.Module == "builtins" && x.Callable.Name == "str" && len(x.Args) == 1 {
			if s, ok := x.Args[0].(string); ok {
				return s
			}
		}
		return x
	case []any:
		for i := range x {
			x[i] = normalize(x[i])
		}
		return x
	case pickle.Tuple:
		for i := range x {
			x[i] = normalize(x[i])
		}
		return x
	case map[any]any:
		for k, e := range x {
			x[k] = normalize(e)
		}
		return x
	case pickle.ByteString:
		return string(x)
	}
	return v
}

// describe names the Go shape of a decoded value for error messages,
// without dumping data.
func describe(v any) string {
	switch x := v.(type) {
	case nil, pickle.None:
		return "None"
	case string:
		return "str"
	case int64:
		return "int"
	case bool:
		return "bool"
	case []any:
		return fmt.Sprintf("list[%d]", len(x))
	case pickle.Tuple:
		return fmt.Sprintf("tuple[%d]", len(x))
	case map[any]any:
		return fmt.Sprintf("dict[%d]", len(x))
	case pickle.Call:
		return "object " + x.Callable.Module + "." + x.Callable.Name
	}
	return fmt.Sprintf("%T", v)
}
