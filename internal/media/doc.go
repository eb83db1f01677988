// Package media turns an uploaded video message into what the video index serves: it probes a
// file with ffprobe and refuses what is not a playable video (Probe, Info.Check), plans the
// renditions a source deserves (Plan), encodes them with ffmpeg (Transcode) and grabs a poster
// and a thumbnail (Poster, Thumbnail).
//
// It is a leaf library: it knows nothing of the database, the job queue, storage or HTTP. It
// runs the ffmpeg and ffprobe found on PATH, always with an argument list and never through a
// shell, and every argument list is built by a pure function (ProbeArgs, TranscodeArgs,
// PosterArgs…) so that tests can pin it in a golden file and benchmarks can replay it bare.
//
// Errors that are about the file itself are *Error values with a stable Code, which callers
// map to a message in the locale catalog; ffmpeg's own words stay in Error.Stderr, for the log.
package media
