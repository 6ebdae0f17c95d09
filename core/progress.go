package core

// Progress is told, after each step of a long job (a batch of a ban or
// unban), how many items are done out of total. It is called on the
// goroutine that runs the job, so it must return quickly: a UI hands the
// numbers to its own goroutine (fyne.Do) and does not block.
type Progress func(done, total int)
