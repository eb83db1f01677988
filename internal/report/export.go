package report

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"sistercity/internal/csvsafe"
)

// WriteCSV writes a report's values in Our World in Data's format: location, date, then one
// column per metric the report holds, named as OWID names it; a day without a figure leaves
// its cell empty. Cells a spreadsheet would take for a formula are quoted (csvsafe).
func WriteCSV(w io.Writer, r *Report, location string) error {
	var metrics []string
	for _, m := range Metrics {
		if slices.ContainsFunc(r.Values, func(v Value) bool { return v.Metric == m.Name }) {
			metrics = append(metrics, m.Name)
		}
	}
	cw := csvsafe.NewWriter(w)
	if err := cw.Write(append([]string{"location", "date"}, metrics...)); err != nil {
		return err
	}
	byDay := map[string]map[string]float64{}
	var days []string
	for _, v := range r.Values {
		d := v.Day.String()
		if byDay[d] == nil {
			byDay[d] = map[string]float64{}
			days = append(days, d)
		}
		byDay[d][v.Metric] = v.Value
	}
	slices.Sort(days)
	for _, d := range days {
		row := []string{location, d}
		for _, m := range metrics {
			cell := ""
			if v, ok := byDay[d][m]; ok {
				cell = strconv.FormatFloat(v, 'f', -1, 64)
			}
			row = append(row, cell)
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// Exported is a report as its JSON file holds it: the report with the names of what its ids
// point at, and the units of its metrics.
type Exported struct {
	*Report
	City      string            `json:"city"`
	Situation string            `json:"situation"`
	Units     map[string]string `json:"units"`
	// BedTotals leave out isolation rows, which other types may count as well.
	BedTotals struct {
		Baseline  int64 `json:"baseline"`
		Available int64 `json:"available"`
		Occupied  int64 `json:"occupied"`
	} `json:"bed_totals_without_isolation"`
}

// WriteJSON writes a report as JSON.
func WriteJSON(w io.Writer, r *Report, city, situation string) error {
	e := Exported{Report: r, City: city, Situation: situation, Units: map[string]string{}}
	for _, v := range r.Values {
		if m, ok := MetricByName(v.Metric); ok {
			e.Units[m.Name] = m.Unit
		}
	}
	e.BedTotals.Baseline, e.BedTotals.Available, e.BedTotals.Occupied = r.BedTotals()
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(e)
}

// The EDXL-HAVE 1.0 document, as far as a report fills it.
const (
	haveNS = "urn:oasis:names:tc:emergency:EDXL:HAVE:1.0"
	xnlNS  = "urn:oasis:names:tc:ciq:xnl:3"
)

type haveStatus struct {
	XMLName  xml.Name     `xml:"have:HospitalStatus"`
	NS       string       `xml:"xmlns:have,attr"`
	XNL      string       `xml:"xmlns:xnl,attr"`
	Hospital haveHospital `xml:"have:Hospital"`
}

type haveHospital struct {
	Organization haveOrganization `xml:"have:Organization"`
	Beds         *haveBeds        `xml:"have:HospitalBedCapacityStatus,omitempty"`
	LastUpdate   string           `xml:"have:LastUpdateTime"`
}

type haveOrganization struct {
	Name    string   `xml:"have:OrganizationInformation>xnl:OrganisationName>xnl:NameElement"`
	Comment []string `xml:"have:CommentText,omitempty"`
}

type haveBeds struct {
	Capacity []haveBedCapacity `xml:"have:BedCapacity"`
}

type haveBedCapacity struct {
	Type     string       `xml:"have:BedType"`
	Capacity haveCapacity `xml:"have:Capacity"`
	Comment  string       `xml:"have:CommentText,omitempty"`
}

type haveCapacity struct {
	Status    string `xml:"have:CapacityStatus"`
	Available int64  `xml:"have:AvailableCount"`
	Baseline  int64  `xml:"have:BaselineCount"`
	Add24h    int64  `xml:"have:AdditionalCapacityCount24Hr"`
	Add72h    int64  `xml:"have:AdditionalCapacityCount72Hr"`
}

// WriteEDXLHAVE writes a report's bed capacity as an EDXL-HAVE 1.0 HospitalStatus: the
// reporting organisation stands for the hospital, each bed row is a BedCapacity. What the
// standard has no element for (the unit, the occupied count, demonstration figures) goes in
// its CommentText. zone places the report's day.
func WriteEDXLHAVE(w io.Writer, r *Report, organisation string, zone *time.Location) error {
	doc := haveStatus{NS: haveNS, XNL: xnlNS}
	h := &doc.Hospital
	h.Organization.Name = organisation
	if r.Demo {
		h.Organization.Comment = append(h.Organization.Comment, "Demonstration figures, not real data.")
	}
	if len(r.Beds) > 0 {
		h.Beds = &haveBeds{}
		for _, b := range r.Beds {
			status := "Vacant/Available"
			if b.Status == CapacityNotAvailable {
				status = "NotAvailable"
			}
			comment := fmt.Sprintf("unit: %s; occupied: %d", b.Unit, b.Occupied)
			if IsIsolation(b.Type) {
				comment += "; may also be counted in other bed types"
			}
			h.Beds.Capacity = append(h.Beds.Capacity, haveBedCapacity{Type: b.Type, Comment: comment,
				Capacity: haveCapacity{Status: status, Available: b.Available, Baseline: b.Baseline, Add24h: b.Add24h, Add72h: b.Add72h}})
		}
	}
	if zone == nil {
		zone = time.UTC
	}
	asOf := r.AsOf.Time()
	h.LastUpdate = time.Date(asOf.Year(), asOf.Month(), asOf.Day(), 0, 0, 0, 0, zone).Format(time.RFC3339)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("report %d: edxl-have: %w", r.ID, err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}
