package main

// version is BanGUI's version. FyneApp.toml's [Details] Version must say
// the same (a test checks), since `fyne package` stamps the package with it.
const version = "0.1.0"

// website is BanGUI's home page (FyneApp.toml's Website).
const website = "https://github.com/bangui/bangui"
