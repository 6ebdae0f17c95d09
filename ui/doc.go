// Package ui is BanGUI's Fyne front end: one small struct per view, each
// with its own widgets and a narrow interface to what it needs from core.
// Views are thin: they read input, call core in a goroutine with a context,
// and apply the result in one fyne.Do. Nothing here imports remote/ or
// fyne.io/fyne/v2/app (only cmd/ does), so the package tests headless with
// Fyne's test driver.
package ui
