package worldmap

import (
	"encoding/binary"
	"image"
	"image/color"
	"image/draw"
	"math"
	"sync"

	"golang.org/x/image/vector"
)

// Render draws every country into dst, which is taken as the whole map
// area: the map is fitted inside it, centred, keeping its aspect ratio.
// Each country is filled with fill(code) (a nil or fully transparent colour
// leaves it out) and outlined with border in lines about one pixel wide
// (thicker on large renderings). Colours are composited over what dst
// holds: Render paints no background, so the caller paints the sea first
// (or leaves dst transparent).
//
// fill is called once per country, on the calling goroutine. The pixel
// geometry of the last few sizes is cached, so rendering again at the same
// size with other colours only rasterises. Render may be called from
// several goroutines at once, each with its own dst.
func (w *World) Render(dst *image.RGBA, fill func(code string) color.Color, border color.Color) {
	b := dst.Bounds()
	l := w.layoutFor(b.Dx(), b.Dy())
	if l == nil {
		return
	}
	pt := painters.Get().(*painter)
	defer painters.Put(pt)
	if fill != nil {
		for i, c := range w.countries {
			col := fill(c.code)
			if !visible(col) {
				continue
			}
			for j := range l.countries[i].parts {
				p := &l.countries[i].parts[j]
				if p.fill.Empty() {
					continue
				}
				fillRings(&pt.z, p.rings, p.fill)
				pt.paint(dst, p.fill, col)
			}
		}
	}
	// Borders go on top of all the fills, so that a neighbour's fill does
	// not cover half of a shared border.
	if visible(border) {
		for i := range l.countries {
			for j := range l.countries[i].parts {
				p := &l.countries[i].parts[j]
				if r := strokeLines(&pt.z, p.lines, p.lineBox, l.stroke, l.w, l.h); !r.Empty() {
					pt.paint(dst, r, border)
				}
			}
		}
	}
}

// Outline strokes the border of the country with the given code, in lines
// width pixels wide, over dst (a rendering as for Render, of the same
// size). It draws nothing for a code not on the map.
func (w *World) Outline(dst *image.RGBA, code string, c color.Color, width float32) {
	k := w.index(code)
	b := dst.Bounds()
	l := w.layoutFor(b.Dx(), b.Dy())
	if k < 0 || l == nil || !visible(c) || width <= 0 {
		return
	}
	pt := painters.Get().(*painter)
	defer painters.Put(pt)
	for _, p := range l.countries[k].parts {
		if r := strokeLines(&pt.z, p.lines, p.lineBox, width, l.w, l.h); !r.Empty() {
			pt.paint(dst, r, c)
		}
	}
}

// index returns the position of code in w.countries, or -1.
func (w *World) index(code string) int {
	c := w.byCode[code]
	if c == nil {
		return -1
	}
	for i, x := range w.countries {
		if x == c {
			return i
		}
	}
	return -1
}

// visible reports whether c is a colour that paints something.
func visible(c color.Color) bool {
	if c == nil {
		return false
	}
	_, _, _, a := c.RGBA()
	return a > 0
}

// painter rasterises shapes into a coverage mask and composites a colour
// through it. Compositing only the pixels the shape covers is much faster
// than the rasterizer's own Draw onto an *image.RGBA, which blends every
// pixel of the rectangle.
type painter struct {
	z    vector.Rasterizer
	mask image.Alpha
}

var painters = sync.Pool{New: func() any { return new(painter) }}

// paint composites c over dst through the shape in p.z, which was reset to
// the size of r: r is where it goes, in the rendering's pixels (dst's
// bounds start at its top-left corner).
func (p *painter) paint(dst *image.RGBA, r image.Rectangle, c color.Color) {
	w, h := r.Dx(), r.Dy()
	if n := w * h; cap(p.mask.Pix) < n {
		p.mask.Pix = make([]uint8, n)
	} else {
		p.mask.Pix = p.mask.Pix[:n]
	}
	p.mask.Stride, p.mask.Rect = w, image.Rect(0, 0, w, h)
	p.z.DrawOp = draw.Src // overwrite the mask, whatever it held
	p.z.Draw(&p.mask, p.mask.Rect, image.Opaque, image.Point{})

	sr, sg, sb, sa := c.RGBA() // premultiplied, 16 bits
	solid := [4]uint8{uint8(sr >> 8), uint8(sg >> 8), uint8(sb >> 8), uint8(sa >> 8)}
	r = r.Add(dst.Rect.Min)
	for y := range h {
		row := dst.Pix[dst.PixOffset(r.Min.X, r.Min.Y+y):]
		mrow := p.mask.Pix[y*w : (y+1)*w]
		for x := 0; x < len(mrow); x++ {
			// Most of a shape's box is either outside it or inside it:
			// skip uncovered pixels eight at a time.
			if x+8 <= len(mrow) && binary.NativeEndian.Uint64(mrow[x:]) == 0 {
				x += 7
				continue
			}
			m := mrow[x]
			if m == 0 {
				continue
			}
			px := row[4*x : 4*x+4 : 4*x+4]
			if m == 0xff && sa == 0xffff {
				copy(px, solid[:])
				continue
			}
			// Porter-Duff "over" with coverage, as image/draw does it.
			ma := uint32(m) * 0x101
			a := 0xffff - sa*ma/0xffff
			px[0] = uint8((uint32(px[0])*0x101*a + sr*ma) / 0xffff >> 8)
			px[1] = uint8((uint32(px[1])*0x101*a + sg*ma) / 0xffff >> 8)
			px[2] = uint8((uint32(px[2])*0x101*a + sb*ma) / 0xffff >> 8)
			px[3] = uint8((uint32(px[3])*0x101*a + sa*ma) / 0xffff >> 8)
		}
	}
}

// layout is the map's geometry in pixels for one rendering size.
type layout struct {
	w, h      int
	stroke    float32     // border width in pixels
	countries []pxCountry // as World.countries
}

type pxCountry struct{ parts []pxPart }

// pxPart is a part in pixel coordinates of the whole rendering.
type pxPart struct {
	fill    image.Rectangle // pixels the fill may cover, within the rendering
	rings   [][]float32     // x, y pairs; closed implicitly
	lines   [][]float32     // x, y pairs
	lineBox box             // bounds of lines
}

// layoutsKept is how many sizes' geometry World keeps.
const layoutsKept = 3

// layoutFor returns the pixel geometry for a width x height rendering,
// from the cache or newly made; nil if the size is too small for a map.
func (w *World) layoutFor(width, height int) *layout {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, l := range w.layouts {
		if l.w == width && l.h == height {
			copy(w.layouts[1:i+1], w.layouts[:i])
			w.layouts[0] = l
			return l
		}
	}
	f := w.fitFor(width, height)
	if f.s <= 0 {
		return nil
	}
	l := w.newLayout(width, height, f)
	if len(w.layouts) < layoutsKept {
		w.layouts = append(w.layouts, nil)
	}
	copy(w.layouts[1:], w.layouts)
	w.layouts[0] = l
	return l
}

// minStep is the distance in pixels under which a point is dropped, as it
// would change no pixel noticeably.
const minStep = 0.3

func (w *World) newLayout(width, height int, f fit) *layout {
	mapWidth := f.s * (w.extent.maxX - w.extent.minX)
	l := &layout{
		w:         width,
		h:         height,
		stroke:    float32(max(0.75, min(2, mapWidth/1600))),
		countries: make([]pxCountry, len(w.countries)),
	}
	canvas := image.Rect(0, 0, width, height)
	toPx := func(pts []point, closed bool) []float32 {
		out := make([]float32, 0, 2*len(pts))
		var lx, ly float64
		for i, p := range pts {
			x, y := f.ox+f.s*p.x, f.oy-f.s*p.y
			last := i == len(pts)-1 && !closed
			if i > 0 && !last && (x-lx)*(x-lx)+(y-ly)*(y-ly) < minStep*minStep {
				continue
			}
			out = append(out, float32(x), float32(y))
			lx, ly = x, y
		}
		return out
	}
	for i, c := range w.countries {
		parts := make([]pxPart, 0, len(c.parts))
		for _, p := range c.parts {
			var pp pxPart
			for k, r := range p.rings {
				px := toPx(r, true)
				if len(px) < 6 {
					if k == 0 {
						break // the exterior is below a pixel: skip the part
					}
					continue
				}
				pp.rings = append(pp.rings, px)
			}
			if len(pp.rings) == 0 {
				continue
			}
			var fb box
			addFlat(&fb, pp.rings[0])
			pp.fill = image.Rect(
				int(math.Floor(fb.minX)), int(math.Floor(fb.minY)),
				int(math.Ceil(fb.maxX)), int(math.Ceil(fb.maxY)),
			).Intersect(canvas)
			for _, ln := range p.lines {
				px := toPx(ln, false)
				if len(px) >= 4 {
					pp.lines = append(pp.lines, px)
					addFlat(&pp.lineBox, px)
				}
			}
			parts = append(parts, pp)
		}
		l.countries[i].parts = parts
	}
	return l
}

// addFlat adds x, y pairs to a box.
func addFlat(b *box, xy []float32) {
	for i := 0; i+1 < len(xy); i += 2 {
		b.add(point{float64(xy[i]), float64(xy[i+1])})
	}
}

// fillRings resets z to the size of r and adds the rings (in rendering
// pixels) to it.
func fillRings(z *vector.Rasterizer, rings [][]float32, r image.Rectangle) {
	z.Reset(r.Dx(), r.Dy())
	ox, oy := float32(r.Min.X), float32(r.Min.Y)
	for _, ring := range rings {
		z.MoveTo(ring[0]-ox, ring[1]-oy)
		for i := 2; i+1 < len(ring); i += 2 {
			z.LineTo(ring[i]-ox, ring[i+1]-oy)
		}
		z.ClosePath()
	}
}

// strokeLines resets z to the pixels that lines (bounded by lb) stroked
// width wide may cover within a width x height rendering, adds the stroke
// to it, and returns that rectangle (empty if there is nothing to draw).
//
// Each segment becomes a rectangle extended by half the width at both ends,
// so that joints are covered. All the rectangles wind the same way and
// the rasterizer clamps coverage, so overlaps do not cancel out.
func strokeLines(z *vector.Rasterizer, lines [][]float32, lb box, width float32, w, h int) image.Rectangle {
	if len(lines) == 0 || !lb.set {
		return image.Rectangle{}
	}
	hw := width / 2
	grow := float64(hw) + 1
	r := image.Rect(
		int(math.Floor(lb.minX-grow)), int(math.Floor(lb.minY-grow)),
		int(math.Ceil(lb.maxX+grow)), int(math.Ceil(lb.maxY+grow)),
	).Intersect(image.Rect(0, 0, w, h))
	if r.Empty() {
		return r
	}
	z.Reset(r.Dx(), r.Dy())
	ox, oy := float32(r.Min.X), float32(r.Min.Y)
	for _, ln := range lines {
		ax, ay := ln[0]-ox, ln[1]-oy
		for i := 2; i+1 < len(ln); i += 2 {
			bx, by := ln[i]-ox, ln[i+1]-oy
			dx, dy := bx-ax, by-ay
			d := float32(math.Sqrt(float64(dx*dx + dy*dy)))
			if d < 1e-4 {
				continue
			}
			ux, uy := dx/d*hw, dy/d*hw // along the segment
			nx, ny := -uy, ux          // across it
			sx, sy, ex, ey := ax-ux, ay-uy, bx+ux, by+uy
			z.MoveTo(sx-nx, sy-ny)
			z.LineTo(ex-nx, ey-ny)
			z.LineTo(ex+nx, ey+ny)
			z.LineTo(sx+nx, sy+ny)
			z.ClosePath()
			ax, ay = bx, by
		}
	}
	return r
}
