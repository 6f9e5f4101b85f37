package main

import (
	"bytes"
	"context"
	"errors"

	"github.com/kenesh/kenesh/desktop/internal/app"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/jsonin"
	"github.com/kenesh/kenesh/shared/xlsform"
)

func init() {
	register(command{Name: "training", Summary: "a training's attendance, materials and results: training attend EVENT-ID (--name N --group G [--gender G] [--organisation O] [--council C] [--id ATTENDEE-ID] | < attendees.json) | attendance EVENT-ID | remove EVENT-ID ATTENDEE-ID | material EVENT-ID MATERIAL-ID [--unused] | results EVENT-ID", Run: runTraining})
}

// attendeesIn reads one attendee (a JSON object) or several (an array).
func attendeesIn(data []byte) ([]domain.Attendee, error) {
	if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '[' {
		var list []domain.Attendee
		if err := jsonin.Decode("attendees", data, &list); err != nil {
			return nil, err
		}
		if len(list) == 0 {
			return nil, usagef("the list of attendees is empty")
		}
		return list, nil
	}
	var a domain.Attendee
	if err := jsonin.Decode("attendee", data, &a); err != nil {
		return nil, err
	}
	return []domain.Attendee{a}, nil
}

func runTraining(ctx context.Context, e *env, args []string) error {
	subs := map[string]func([]string) error{
		"attend": func(args []string) error {
			fs := flags(e, "training attend")
			id := fs.String("id", "", "the attendee to change (default: a new one)")
			name := fs.String("name", "", "the person's name (without it, attendees are read as JSON from stdin)")
			gender := fs.String("gender", "", "female, male or unspecified")
			group := fs.String("group", "", "council_members, civil_society, officials, journalists or citizens")
			org := fs.String("organisation", "", "where the person works or studies")
			council := fs.String("council", "", "the council the person comes from, when not the training's")
			pos, err := parse(fs, args, 1, "EVENT-ID (--name N --group G [--gender G] [--organisation O] [--council C] [--id ATTENDEE-ID] | < attendees.json)")
			if err != nil {
				return err
			}
			var list []domain.Attendee
			if *name != "" {
				list = []domain.Attendee{{ID: *id, Name: *name, Gender: *gender, Group: *group, Organisation: *org, Council: *council}}
			} else {
				if *id != "" || *gender != "" || *group != "" || *org != "" || *council != "" {
					return usagef("give the attendee's --name with the other flags, or the attendees as JSON on stdin without flags")
				}
				data, err := e.readAll()
				if err != nil {
					return err
				}
				if list, err = attendeesIn(data); err != nil {
					return err
				}
			}
			return e.withRecord(ctx, domain.KindEvent, pos[0], func(c *app.Core, ev string) (any, error) {
				_, saved, err := c.Records.SaveAttendees(ctx, ev, list)
				return saved, err
			})
		},
		"attendance": func(args []string) error {
			pos, err := parse(flags(e, "training attendance"), args, 1, "EVENT-ID")
			if err != nil {
				return err
			}
			return e.withRecord(ctx, domain.KindEvent, pos[0], func(c *app.Core, ev string) (any, error) {
				t, list, err := c.Records.Attendance(ctx, ev)
				if err != nil {
					return nil, err
				}
				if !t.IsTraining() {
					return nil, errors.New("event " + ev + " is a " + t.Kind + ", not a training: only trainings keep an attendance list")
				}
				return map[string]any{"event": t.ID, "title": t.Title, "date": t.Date, "council": t.Council,
					"attendees": append([]domain.Attendee{}, list...), "counted": t.Counted(), "total": t.CountedTotal().Total()}, nil
			})
		},
		"remove": func(args []string) error {
			pos, err := parse(flags(e, "training remove"), args, 2, "EVENT-ID ATTENDEE-ID")
			if err != nil {
				return err
			}
			return e.withRecord(ctx, domain.KindEvent, pos[0], func(c *app.Core, ev string) (any, error) {
				t, err := c.Records.RemoveAttendee(ctx, ev, pos[1])
				if err != nil {
					return nil, err
				}
				return map[string]any{"event": t.ID, "removed": pos[1], "attendees": len(t.Attendees)}, nil
			})
		},
		"material": func(args []string) error {
			fs := flags(e, "training material")
			unused := fs.Bool("unused", false, "mark the material not used (a mistake)")
			pos, err := parse(fs, args, 2, "EVENT-ID MATERIAL-ID [--unused]")
			if err != nil {
				return err
			}
			return e.withRecord(ctx, domain.KindEvent, pos[0], func(c *app.Core, ev string) (any, error) {
				t, err := c.Records.UseMaterial(ctx, ev, pos[1], !*unused)
				if err != nil {
					return nil, err
				}
				return map[string]any{"event": t.ID, "materials": append([]domain.MaterialUse{}, t.Materials...)}, nil
			})
		},
		"results": func(args []string) error {
			pos, err := parse(flags(e, "training results"), args, 1, "EVENT-ID")
			if err != nil {
				return err
			}
			return e.withRecord(ctx, domain.KindEvent, pos[0], func(c *app.Core, ev string) (any, error) {
				res, err := c.Records.TrainingResults(ctx, ev)
				return append([]xlsform.Learning{}, res...), err
			})
		},
	}
	return subcommand(e, "training", args, subs)
}
