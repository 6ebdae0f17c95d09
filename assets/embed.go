// Package assets embeds the files the app ships: its icon now; world
// outlines, the default geo database and their licences later.
package assets

import (
	_ "embed"

	"fyne.io/fyne/v2"
)

//go:embed icon.png
var iconPNG []byte

// Icon is the app icon (512x512 PNG).
var Icon = fyne.NewStaticResource("icon.png", iconPNG)
