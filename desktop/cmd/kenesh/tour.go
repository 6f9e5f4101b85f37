package main

import (
	"bufio"
	"fmt"
	"os"
	"time"

	"fyne.io/fyne/v2"

	"github.com/kenesh/kenesh/desktop/internal/ui"
)

// runTour steps through the screens and lets the screenshot tool (make
// screenshots) capture each: it prints "SHOT name" and waits for a line on
// stdin.
func runTour(u *ui.UI, pass string) {
	in := bufio.NewScanner(os.Stdin)
	time.Sleep(1500 * time.Millisecond) // the first frame of a new GL window
	for _, step := range u.Tour(pass) {
		done := make(chan struct{})
		fyne.Do(func() {
			step.Do()
			close(done)
		})
		<-done
		if step.Wait != nil {
			step.Wait()
		}
		time.Sleep(900 * time.Millisecond) // let it paint
		fmt.Println("SHOT " + step.Name)
		if !in.Scan() {
			break
		}
	}
	fmt.Println("DONE")
	fyne.Do(func() { fyne.CurrentApp().Quit() })
}
