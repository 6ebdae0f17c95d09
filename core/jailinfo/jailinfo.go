// Package jailinfo reads what fail2ban's socket does not tell: the filter
// and the backend of each jail, straight from the jail config files. It only
// reads, through core.Host, and never runs fail2ban-client.
//
// The files and their order are fail2ban 1.0.2's (ConfigReaderUnshared.read
// for "jail"): jail.conf, jail.d/*.conf, jail.local, jail.d/*.local, each
// list sorted by name, names starting with '.' left out. Every file brings
// its [INCLUDES]: the files named by "before =" are read before it (lower
// priority), those named by "after =" after it, one name per line, relative
// to the including file's folder; an included x.conf brings x.local along
// when it exists. Later files override earlier ones key by key, per
// section; [DEFAULT] supplies the keys a section lacks. Values are then
// interpolated as fail2ban does (see Read).
package jailinfo

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/bangui/bangui/core"
)

// DefaultDir is fail2ban's config folder on Debian and most systems.
const DefaultDir = "/etc/fail2ban"

// DefaultBackend is the backend fail2ban uses for a jail that sets none.
const DefaultBackend = "auto"

// maxFiles caps the number of file reads one Read makes, including every
// repeat of an included file, so that [INCLUDES] that fan out cannot make it
// run for ever.
const maxFiles = 1000

// Info is what Read tells about one jail.
type Info struct {
	// Filter is the jail's filter value after interpolation, options
	// included: "sshd[mode=normal]". Empty when the jail sets none (fail2ban
	// then runs it without a filter).
	Filter string
	// FilterName is Filter up to its first '[', trimmed: "sshd", the name
	// of the file filter.d/sshd.conf.
	FilterName string
	// Backend is the jail's backend after interpolation: "auto", "polling",
	// "pyinotify", "systemd[journalflags=1]"...; DefaultBackend when the
	// jail sets none.
	Backend string
	// Err is non-nil when Filter or Backend could not be interpolated (a
	// %(name)s defined nowhere, a value that refers to itself, a stray
	// '%'). That value is then the raw text from the file, and Err, a
	// *core.Error with code EINVALID, names the jail, the key and the
	// problem. fail2ban cannot read such a jail either.
	Err error
}

// Lister is implemented by hosts that can list a folder. Read uses it to
// find jail.d/*.conf and jail.d/*.local; on a host without it, jail.d is
// not read. List returns the names (not paths) of the files in dir, in any
// order, folders left out (Read reads every *.conf and *.local name it
// gets). A missing dir is an error matching fs.ErrNotExist; other errors
// follow core.Host's rules.
type Lister interface {
	List(ctx context.Context, dir string) ([]string, error)
}

// ListDir lists dir on this machine for a Lister: the names of the entries
// that are not folders (a link counts as what it points to; broken links
// are left out), sorted. Errors are *core.Error: ENOTFOUND (matching
// fs.ErrNotExist) for a missing dir, EPERMISSION with core.PermissionHint,
// EINVALID when dir is not a folder, ECANCELED when ctx has ended.
func ListDir(ctx context.Context, dir string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, core.Wrap(err, core.ECANCELED, "listing "+dir+" was cancelled")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		switch {
		case errors.Is(err, fs.ErrPermission):
			return nil, core.Wrap(err, core.EPERMISSION, fmt.Sprintf("no permission to list %s: %s", dir, core.PermissionHint))
		case errors.Is(err, fs.ErrNotExist):
			return nil, core.Wrap(err, core.ENOTFOUND, fmt.Sprintf("cannot list %s: it does not exist", dir))
		case errors.Is(err, syscall.ENOTDIR):
			return nil, core.Wrap(err, core.EINVALID, fmt.Sprintf("cannot list %s: it is not a folder", dir))
		}
		return nil, core.Wrap(err, core.EUNAVAILABLE, "cannot list "+dir)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if e.Type()&fs.ModeSymlink != 0 {
			fi, err := os.Stat(filepath.Join(dir, e.Name()))
			if err != nil || fi.IsDir() {
				continue
			}
		} else if e.IsDir() {
			continue
		}
		names = append(names, e.Name())
	}
	return names, nil // os.ReadDir sorts by name
}

// Read returns the filter and backend of every jail (every section but
// DEFAULT and INCLUDES) in the jail config under dir on h, keyed by jail
// name. dir "" means DefaultDir.
//
// Values are interpolated as fail2ban does: %(name)s is name from the
// jail's section, else from [DEFAULT] (the merged defaults of all files,
// included ones too), interpolated again in the jail's context, up to 10
// levels deep; %(__name__)s is the jail's name; %(default/name)s,
// %(known/name)s and %(section/name)s are fail2ban's section references;
// %% is a literal %. Like fail2ban, Read adds fail2ban_confpath (dir) to
// the defaults; it cannot know fail2ban_version, so a value that uses it
// gets an Info.Err. A value that cannot be interpolated is left raw, with
// Info.Err saying why (see Info); Read itself does not fail for it.
//
// Read is more lenient than fail2ban, which refuses a whole file (and so
// starts no jail) for any of these: a line that is neither a section, a
// setting, a comment nor a continuation, a setting before the first
// section, a section or key given twice in one file, a UTF-8 byte-order
// mark. Read skips such a line (and the mark) and merges repeats, the later
// key winning, so that the rest of the file is still shown. Missing files
// are skipped. Errors: dir missing is ENOTFOUND (matching fs.ErrNotExist) and
// names it; a dir with neither jail.conf, jail.local nor jail.d files is
// ENOTFOUND; any other error of h (EPERMISSION with its hint for a file
// BanGUI may not read, ECANCELED) is returned as it is.
func Read(ctx context.Context, h core.Host, dir string) (map[string]Info, error) {
	if dir == "" {
		dir = DefaultDir
	}
	dir = path.Clean(dir)
	r := &reader{ctx: ctx, h: h, parsed: map[string]*file{}}
	lister, _ := h.(Lister)
	if err := r.checkDir(dir, lister); err != nil {
		return nil, err
	}

	var confD, localD []string
	if lister != nil {
		names, err := lister.List(ctx, path.Join(dir, "jail.d"))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		slices.Sort(names)
		for _, n := range names {
			switch {
			case strings.HasPrefix(n, "."): // glob's * skips hidden names
			case strings.HasSuffix(n, ".conf"):
				confD = append(confD, path.Join(dir, "jail.d", n))
			case strings.HasSuffix(n, ".local"):
				localD = append(localD, path.Join(dir, "jail.d", n))
			}
		}
	}
	top := []string{path.Join(dir, "jail.conf")}
	top = append(top, confD...)
	top = append(top, path.Join(dir, "jail.local"))
	top = append(top, localD...)

	files, err := r.includes(top, nil)
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, core.Wrap(fs.ErrNotExist, core.ENOTFOUND, fmt.Sprintf(
			"no jail configuration in %s: it has no jail.conf, jail.local or jail.d files; is it fail2ban's config folder?", dir))
	}
	cfg := newConfig()
	for _, f := range files {
		cfg.merge(f)
	}
	cfg.defaults["fail2ban_confpath"] = dir

	out := make(map[string]Info, len(cfg.order))
	for _, name := range cfg.order {
		if name == "INCLUDES" || strings.HasPrefix(name, "KNOWN/") {
			continue
		}
		out[name] = cfg.info(name)
	}
	return out, nil
}

// info resolves the filter and backend of jail name.
func (c *config) info(name string) Info {
	var inf Info
	value := func(key, dflt string) string {
		raw, ok := c.get(name, key)
		if !ok {
			return dflt
		}
		v, err := c.interpolate(name, key, raw)
		if err != nil {
			if inf.Err == nil {
				inf.Err = core.Errorf(core.EINVALID, "jail %s: %v; fail2ban cannot read this jail either: fix the value in its config files", name, err)
			}
			return raw
		}
		return v
	}
	inf.Filter = value("filter", "")
	inf.Backend = value("backend", DefaultBackend)
	name, _, _ = strings.Cut(inf.Filter, "[")
	inf.FilterName = strings.TrimSpace(name)
	return inf
}

// reader reads and parses files through a host, each file once.
type reader struct {
	ctx    context.Context
	h      core.Host
	parsed map[string]*file // nil value: the file does not exist
	reads  int
}

// checkDir fails with a clear ENOTFOUND when dir does not exist. With a
// Lister it lists dir and returns any other error as it is. Without one it
// reads dir as a file, which fails with a "not found" error only when dir
// is missing; its other errors (a folder cannot be read as a file, and
// rights are checked on the files themselves) are ignored, except a
// cancelled ctx.
func (r *reader) checkDir(dir string, l Lister) error {
	var err error
	if l != nil {
		_, err = l.List(r.ctx, dir)
	} else if _, err = r.h.ReadFile(r.ctx, dir); !errors.Is(err, fs.ErrNotExist) && core.ErrorCode(err) != core.ECANCELED {
		err = nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return core.Wrap(err, core.ENOTFOUND, fmt.Sprintf(
			"fail2ban's config folder %s does not exist: check the path (usually %s), or install fail2ban", dir, DefaultDir))
	}
	return err
}

// load returns file p parsed, or nil when it does not exist.
func (r *reader) load(p string) (*file, error) {
	if f, ok := r.parsed[p]; ok {
		return f, nil
	}
	if err := r.ctx.Err(); err != nil {
		return nil, core.Wrap(err, core.ECANCELED, "reading fail2ban's jail configuration was cancelled")
	}
	data, err := r.h.ReadFile(r.ctx, p)
	if errors.Is(err, fs.ErrNotExist) {
		r.parsed[p] = nil
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	f := parse(data)
	r.parsed[p] = f
	return f, nil
}

// includes returns the files to merge for names, in order, as fail2ban's
// _getIncludes does: each name x.conf is followed by x.local if that
// exists and is not among names, and each file is preceded by its "before"
// includes and followed by its "after" includes, recursively. ancestors
// are the files whose includes led to names; an include of one of them is
// skipped. Paths are cleaned before they are compared: fail2ban compares
// them as written, so it never ends a cycle such as "sub/x.conf" including
// "../jail.conf", while Read does.
func (r *reader) includes(names []string, ancestors []string) ([]*file, error) {
	var expanded []string
	for _, n := range names {
		expanded = append(expanded, n)
		if l := localName(n); !slices.Contains(names, l) {
			expanded = append(expanded, l) // load skips it when missing
		}
	}
	var out []*file
	for _, n := range expanded {
		f, err := r.load(n)
		if err != nil {
			return nil, err
		}
		if f == nil {
			continue
		}
		if r.reads++; r.reads > maxFiles {
			return nil, core.Errorf(core.EINVALID,
				"fail2ban's jail configuration includes more than %d files (last %s): check the [INCLUDES] sections", maxFiles, n)
		}
		inc := newConfig()
		inc.merge(f)
		var before, after []*file
		for _, opt := range []string{"before", "after"} {
			raw, ok := inc.get("INCLUDES", opt)
			if _, has := inc.sections["INCLUDES"]; !has || !ok {
				continue
			}
			v, err := inc.interpolate("INCLUDES", opt, raw)
			if err != nil {
				v = raw
			}
			for _, line := range strings.Split(v, "\n") {
				if line == "" {
					continue
				}
				p := line
				if !path.IsAbs(p) {
					p = path.Join(path.Dir(n), p)
				}
				if slices.Contains(ancestors, p) {
					continue
				}
				got, err := r.includes([]string{p}, append(slices.Clip(ancestors), n))
				if err != nil {
					return nil, err
				}
				if opt == "before" {
					before = append(before, got...)
				} else {
					after = append(after, got...)
				}
			}
		}
		out = append(out, before...)
		out = append(out, f)
		out = append(out, after...)
	}
	return out, nil
}

// localName returns p with its extension replaced by ".local", as Python's
// os.path.splitext(p)[0] + ".local" (dots leading the base name are not an
// extension).
func localName(p string) string {
	dir, base := path.Split(p)
	lead := len(base) - len(strings.TrimLeft(base, "."))
	if i := strings.LastIndexByte(base[lead:], '.'); i >= 0 {
		base = base[:lead+i]
	}
	return dir + base + ".local"
}
