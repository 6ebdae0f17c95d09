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
	windowW float64
	windowH float64
}

func main() {
	var cfg config
	flag.StringVar(&cfg.dataDir, "data", defaultDataDir(), "folder of the local cache (bangui.db)")
	flag.StringVar(&cfg.socket, "socket", "", "socket of the local fail2ban (default: from fail2ban.conf, else "+f2b.DefaultSocket+")")
	flag.StringVar(&cfg.confDir, "fail2ban-config", f2b.DefaultConfigDir, "the local fail2ban's config folder: where its socket is set and where BanGUI writes jail.d/bangui.local")
	flag.StringVar(&cfg.view, "view", "dashboard", "view to open: dashboard, jails, settings, bans, map, history, blocklists or activity")
	flag.StringVar(&cfg.scope, "scope", "", `servers the jails and bans views show first: a server's name, "Group: NAME" or "All servers" (default: the selected server)`)
	flag.DurationVar(&cfg.refresh, "refresh", 5*time.Second, "how often views poll fail2ban")
	flag.Float64Var(&cfg.windowW, "width", 1180, "initial window width")
	flag.Float64Var(&cfg.windowH, "height", 720, "initial window height")
	showVersion := flag.Bool("version", false, "print the version and exit")
	flag.Parse()
	if *showVersion {
		fmt.Println("bangui", version)
		return
	}
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

	db, err := store.Open(context.Background(), filepath.Join(cfg.dataDir, "bangui.db"), migrations.FS)
	if err != nil {
		slog.Error("open cache", "err", err)
		ui.Fatal(w, err, a.Quit)
		w.ShowAndRun()
		return err
	}
	defer db.Close()
	if cfg.socket == "" {
		cfg.socket = f2b.FindSocket(cfg.confDir)
	}
	markInterrupted(db)
	clients := newClients(db, cfg.confDir)
	defer clients.Close()
	bg, err := newBackground(context.Background(), db)
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
	blocks.scheduleAll(context.Background())

	shell := ui.New(w, ui.Deps{
		LoadServers:     loadServers(db, cfg.socket),
		Source:          clients.Source,
		RefreshInterval: cfg.refresh,
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
	})
	w.SetOnClosed(shell.Stop)
	haltOnSignal(shell)
	shell.Start()
	w.ShowAndRun()
	shell.Stop() // a SIGTERM ends the event loop without closing the window
	return nil
}
