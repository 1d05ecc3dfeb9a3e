"""How a section trains, decodes or scores: data + model + loop (+ metric), one module per task.
Pages draw and report; recipes do neither. This file imports nothing."""
