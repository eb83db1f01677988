package main

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"sistercity/internal/db/dbtest"
	"sistercity/internal/register"
)

// TestDemoCitiesOnTheirContinents checks every city of the demo against the continent it lies
// on, as the public partner list groups them. Russia is counted in Europe, yet Vladivostok lies
// in Asia: a city's time zone decides where its country spans two continents.
func TestDemoCitiesOnTheirContinents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.Open(t)
	if err := loadDemo(ctx, d, io.Discard, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	const asia, europe, africa, americas, oceania = "142", "150", "002", "019", "009"
	want := map[string]string{
		"Busan": asia, "Kaohsiung": asia, "Los Angeles": americas, "Shimonoseki": asia, "Barcelona": europe,
		"Rio de Janeiro": americas, "Vladivostok": asia, "Shanghai": asia, "Surabaya": asia, "Victoria (state)": oceania,
		"Tijuana": americas, "Ho Chi Minh City": asia, "Auckland": oceania, "Valparaíso": americas, "Western Cape": africa,
		"Montreal": americas, "Istanbul": asia, "Dubai": asia, "Saint Petersburg": europe, "Shenzhen": asia,
		"Tianjin": asia, "Osaka": asia, "Chongqing": asia, "Bangkok": asia, "Beijing": asia, "Nagasaki Prefecture": asia,
		"Bandar Abbas": asia, "Ulaanbaatar": asia, "Panama City": americas, "Guangzhou": asia,
	}
	cities, err := register.Cities(ctx, d.R)
	if err != nil {
		t.Fatal(err)
	}
	if len(cities) != len(want) {
		t.Errorf("%d demo cities, want %d", len(cities), len(want))
	}
	for _, c := range cities {
		name := c.Name("en")
		w, ok := want[name]
		if !ok {
			t.Errorf("demo city %q has no expected continent", name)
			continue
		}
		if got := c.Continent(); got != w {
			t.Errorf("%s (%s, zone %q): continent %s, want %s", name, c.Country, c.Timezone, got, w)
		}
	}
}
