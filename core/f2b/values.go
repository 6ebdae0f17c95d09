package f2b

import (
	"fmt"
	"strings"

	pickle "github.com/kisielk/og-rek"
)

// Small named decoders for reply payloads, so commands read like the table
// in research/fail2ban.md instead of nested type assertions. Each returns a
// *ProtocolError naming what it expected.

func shapeError(want string, v any) error {
	return &ProtocolError{Msg: fmt.Sprintf("expected %s, got %s", want, describe(v))}
}

func asString(v any) (string, error) {
	if s, ok := v.(string); ok {
		return s, nil
	}
	return "", shapeError("str", v)
}

// asOptString reads a str or None (as "").
func asOptString(v any) (string, bool, error) {
	switch x := v.(type) {
	case nil, pickle.None:
		return "", false, nil
	case string:
		return x, true, nil
	}
	return "", false, shapeError("str or None", v)
}

func asInt(v any) (int, error) {
	switch x := v.(type) {
	case int64:
		return int(x), nil
	case bool: // Python bools are ints
		if x {
			return 1, nil
		}
		return 0, nil
	}
	return 0, shapeError("int", v)
}

func asBool(v any) (bool, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case int64:
		return x != 0, nil
	}
	return false, shapeError("bool", v)
}

// asSeq reads a list or a tuple.
func asSeq(v any) ([]any, error) {
	switch x := v.(type) {
	case []any:
		return x, nil
	case pickle.Tuple:
		return []any(x), nil
	}
	return nil, shapeError("list", v)
}

func asStrings(v any) ([]string, error) {
	seq, err := asSeq(v)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(seq))
	for _, e := range seq {
		s, err := asString(e)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// asPairs reads fail2ban's status shape, a list of (label, value) pairs,
// into a map by label. Reading by label, not position, keeps working when a
// version adds a field.
func asPairs(v any) (map[string]any, error) {
	seq, err := asSeq(v)
	if err != nil {
		return nil, err
	}
	out := make(map[string]any, len(seq))
	for _, e := range seq {
		pair, err := asSeq(e)
		if err != nil || len(pair) != 2 {
			return nil, shapeError("(label, value) pair", e)
		}
		label, err := asString(pair[0])
		if err != nil {
			return nil, err
		}
		out[label] = pair[1]
	}
	return out, nil
}

// field returns pairs[label] decoded by get, or an error naming the label.
func field[T any](pairs map[string]any, label string, get func(any) (T, error)) (T, error) {
	var zero T
	v, ok := pairs[label]
	if !ok {
		return zero, &ProtocolError{Msg: fmt.Sprintf("status has no %q", label)}
	}
	t, err := get(v)
	if err != nil {
		return zero, fmt.Errorf("%s: %w", label, err)
	}
	return t, nil
}

// splitList splits fail2ban's comma-joined jail list ("app1, app2").
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
