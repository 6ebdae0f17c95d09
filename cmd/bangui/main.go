// Command bangui is the BanGUI desktop app: one window that manages fail2ban
// on this machine and, later, on servers over SSH.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/bangui/bangui/assets"
	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/f2b"
	"github.com/bangui/bangui/core/store"
	"github.com/bangui/bangui/migrations"
	"github.com/bangui/bangui/ui"
)

const appID = "io.github.bangui"

type config struct {
	dataDir string
	socket  string
	confDir string
	view    string
	scope   string
	refresh time.Duration
	welcome bool
	windowW float64
	windowH float64
	// set names the flags given on the command line: those win over what
	// the cache remembers (window size, last view, refresh interval).
	set map[string]bool
}

func main() {
	var cfg config
	flag.StringVar(&cfg.dataDir, "data", defaultDataDir(), "folder of the local cache (bangui.db)")
	flag.StringVar(&cfg.socket, "socket", "", "socket of the local fail2ban (default: from fail2ban.conf, else "+f2b.DefaultSocket+")")
	flag.StringVar(&cfg.confDir, "fail2ban-config", f2b.DefaultConfigDir, "the local fail2ban's config folder: where its socket is set and where BanGUI writes jail.d/bangui.local")
	flag.StringVar(&cfg.view, "view", "dashboard", "view to open: dashboard, jails, jail-settings, bans, map, history, blocklists, activity or settings (default: the view shown when BanGUI last closed)")
	flag.StringVar(&cfg.scope, "scope", "", `servers the jails and bans views show first: a server's name, "Group: NAME" or "All servers" (default: the selected server)`)
	flag.DurationVar(&cfg.refresh, "refresh", 5*time.Second, "how often views poll fail2ban (default: the Settings view's)")
	flag.Float64Var(&cfg.windowW, "width", 1180, "initial window width (default: as it last closed)")
	flag.Float64Var(&cfg.windowH, "height", 720, "initial window height (default: as it last closed)")
	flag.BoolVar(&cfg.welcome, "welcome", true, "show the first-start welcome when this cache has never shown it")
	showVersion := flag.Bool("version", false, "print the version and exit")
	flag.Parse()
	if *showVersion {
		fmt.Println("bangui", version)
		return
	}
	cfg.set = map[string]bool{}
	flag.Visit(func(f *flag.Flag) { cfg.set[f.Name] = true })
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, nil)))
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "bangui:", core.ErrorMessage(err))
		os.Exit(1)
	}
}

func run(cfg config) error {
	a := app.NewWithID(appID)
	a.SetIcon(assets.Icon)
	w := a.NewWindow("BanGUI")
	w.Resize(fyne.NewSize(float32(cfg.windowW), float32(cfg.windowH)))

	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(cfg.dataDir, "bangui.db"), migrations.FS)
	if err != nil {
		slog.Error("open cache", "err", err)
		ui.Fatal(w, err, a.Quit)
		w.ShowAndRun()
		return err
	}
	defer db.Close()
	prefs := startPreferences(ctx, db)
	ui.ApplyTheme(prefs.Theme)
	if !cfg.set["width"] && !cfg.set["height"] {
		cfg.windowW, cfg.windowH = windowSize(ctx, db, cfg.windowW, cfg.windowH)
		w.Resize(fyne.NewSize(float32(cfg.windowW), float32(cfg.windowH)))
	}
	if !cfg.set["view"] {
		if v := lastView(ctx, db); v != "" {
			cfg.view = v
		}
	}
	if !cfg.set["refresh"] {
		cfg.refresh = prefs.Refresh
	}
	if cfg.socket == "" {
		cfg.socket = f2b.FindSocket(cfg.confDir)
	}
	markInterrupted(db)
	clients := newClients(db, cfg.confDir)
	defer clients.Close()
	bg, err := newBackground(ctx, db, prefs.Sync)
	if err != nil {
		return err
	}
	defer bg.stop() // before the cache closes: releases the lock row
	geoSvc, err := openGeo(context.Background(), db, "")
	if err != nil {
		slog.Error("open geo store", "err", err)
		ui.Fatal(w, err, a.Quit)
		w.ShowAndRun()
		return err
	}
	defer geoSvc.Close() // a geo task still running closes it when done (bg.stop waits); all before the cache closes
	bg.syncer.Locator = geoSvc
	if err := bg.addGeoTasks(geoSvc); err != nil {
		return err
	}
	// The window asks about host keys, passphrases and passwords, also for
	// the background syncs: set before anything dials.
	prompts := ui.NewPrompts(w)
	clients.ssh.askHost, clients.ssh.askPass, clients.ssh.askPw = prompts.ConfirmHostKey, prompts.AskPassphrase, prompts.AskPassword
	bg.target = clients.historyTarget
	bg.start(context.Background(), loadServers(db, cfg.socket))
	blocks := newBlocklists(db, clients, bg.sched, func(ips []string) { geoSvc.Countries(ips) })
	dt := newDesktopApp(a, w, db, bg, prefs)
	blocks.onFailed = dt.notifier.ImportFailed
	blocks.scheduleAll(context.Background())

	shell := ui.New(w, ui.Deps{
		LoadServers:     loadServers(db, cfg.socket),
		Source:          clients.Source,
		RefreshInterval: cfg.refresh,
		PollInterval:    prefs.Poll,
		StartView:       cfg.view,
		StartScope:      cfg.scope,
		Activity:        db,
		Permanent:       clients.Permanent,
		JailInfo:        clients.JailInfo,
		Failures:        clients.Failures,
		History:         db,
		Tasks:           bg.sched,
		Geo:             geoSvc,
		Admin:           &serverAdmin{db: db, links: clients.ssh, forget: clients.forget, added: bg.addSync},
		Fleet:           clients.fleet(),
		Blocklists:      blocks,
		Preferences:     &preferences{db: db, bg: bg},
		OnPreferences:   dt.apply,
		OnPoll:          dt.onPoll,
		About:           ui.AboutInfo{Version: version, Licence: "BSD 3-Clause", Website: website},
	})
	dt.attach(shell)
	w.SetOnClosed(func() { dt.saveWindow(); shell.Stop() })
	haltOnSignal(shell)
	shell.Start()
	if cfg.welcome {
		dt.welcome(cfg.socket)
	}
	w.ShowAndRun()
	dt.saveWindow()
	shell.Stop() // a SIGTERM ends the event loop without closing the window
	return nil
}
