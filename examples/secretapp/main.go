// Command secretapp is the seed's example program: it prints a line every second.
package main

import (
	"fmt"
	"os"
	"time"
)

func main() {
	host, _ := os.Hostname()
	for {
		fmt.Printf("Protect all your base @ %s\n", host)
		time.Sleep(time.Second)
	}
}
