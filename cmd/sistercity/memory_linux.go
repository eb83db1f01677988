package main

import (
	"bufio"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// releaseBinaryPages asks the kernel to drop the resident pages of this program's own file —
// its code and read-only data — that start-up brought in: migrations, the demo, package
// initialisation and the embedded files read once touch far more of the binary than serving
// does, and those clean pages otherwise stay counted in the resident memory until the system
// runs short. Pages still in use come back from the page cache on their next use, a minor
// fault. It tells how many bytes of mappings it advised; an error of the kernel (before 5.4
// there is no MADV_PAGEOUT) leaves everything as it was.
func releaseBinaryPages() int64 {
	exe, err := os.Executable()
	if err != nil {
		return 0
	}
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return 0
	}
	defer f.Close()
	var n int64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// 00400000-0168a000 r-xp 00000000 fe:00 10012296   /path/to/sistercity
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || fields[5] != exe || strings.Contains(fields[1], "w") {
			continue
		}
		lo, hi, ok := strings.Cut(fields[0], "-")
		if !ok {
			continue
		}
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil || end <= start {
			continue
		}
		// A raw madvise: the range is a mapping of the file, not memory Go allocated.
		if _, _, errno := unix.Syscall(unix.SYS_MADVISE, uintptr(start), uintptr(end-start), unix.MADV_PAGEOUT); errno == 0 {
			n += int64(end - start)
		}
	}
	return n
}
