package media

import (
	"strings"
	"testing"
)

// TestMasterPlaylist writes a master playlist with two variants and two subtitle tracks, one of
// them the default, and a name that tries to break out of its quoted string.
func TestMasterPlaylist(t *testing.T) {
	t.Parallel()
	got := string(MasterPlaylist([]Variant{
		{URI: "a-360p.m3u8", Bandwidth: 900000, AverageBandwidth: 600000, Codecs: "avc1.64001e,mp4a.40.2", Width: 640, Height: 360, FrameRate: "25.000"},
		{URI: "a-720p.m3u8", Bandwidth: 3000000, Codecs: "avc1.64001f", Width: 1280, Height: 720},
	}, []SubtitleRendition{
		{URI: "/media/tracks/1.m3u8", Language: "ru", Name: "Русский", Default: true},
		{URI: "/media/tracks/2.m3u8", Language: "ko", Name: "한국어 \"SDH\"\nx", Autoselect: true, Captions: true},
	}))
	want := `#EXTM3U
#EXT-X-VERSION:7
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",LANGUAGE="ru",NAME="Русский",DEFAULT=YES,AUTOSELECT=YES,URI="/media/tracks/1.m3u8"
#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",LANGUAGE="ko",NAME="한국어 'SDH' x",DEFAULT=NO,AUTOSELECT=YES,CHARACTERISTICS="public.accessibility.transcribes-spoken-dialog,public.accessibility.describes-music-and-sound",URI="/media/tracks/2.m3u8"
#EXT-X-STREAM-INF:BANDWIDTH=900000,AVERAGE-BANDWIDTH=600000,CODECS="avc1.64001e,mp4a.40.2",RESOLUTION=640x360,FRAME-RATE=25.000,SUBTITLES="subs"
a-360p.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=3000000,CODECS="avc1.64001f",RESOLUTION=1280x720,SUBTITLES="subs"
a-720p.m3u8
`
	if got != want {
		t.Errorf("master playlist:\n%s\nwant:\n%s", got, want)
	}
	if noSubs := string(MasterPlaylist([]Variant{{URI: "x.m3u8", Bandwidth: 1, Codecs: "avc1.42c01e", Width: 2, Height: 2}}, nil)); strings.Contains(noSubs, "SUBTITLES") {
		t.Errorf("a subtitles group without subtitles:\n%s", noSubs)
	}
}

// TestRenameHLS renames the init and media segments a media playlist names, and nothing else.
func TestRenameHLS(t *testing.T) {
	t.Parallel()
	in := "#EXTM3U\n#EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF:4.000000,\nseg-00000.m4s\n#EXT-X-ENDLIST\n"
	got := string(RenameHLS([]byte(in), func(n string) string { return "g-360p-" + n }))
	want := "#EXTM3U\n#EXT-X-MAP:URI=\"g-360p-init.mp4\"\n#EXTINF:4.000000,\ng-360p-seg-00000.m4s\n#EXT-X-ENDLIST\n"
	if got != want {
		t.Errorf("renamed:\n%s\nwant:\n%s", got, want)
	}
}
