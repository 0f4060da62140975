"""Bad files and inputs shared by the engine tests and their Discord twins."""

FIVE_ERRORS = """
id: "bad block!"
name: Broken
days:
  - title: Day 1
    exercises:
      - {id: squat, name: Squat, sets: 0, reps: 5, rest: 120}
      - {id: bench, name: Bench, sets: 3, reps: "10-8", rest: 120}
      - {id: row, name: Row, sets: 3, reps: 8}
      - {id: press, name: Press, sets: 3, reps: 8, rest: 90, rpe: 8}
"""

BAD_INPUTS = [
    ("abc", "5", "weight: 'abc' is not a number"),
    ("-5", "5", "weight: must be 0 or more"),
    ("NaN", "5", "weight: 'NaN' is not a number"),
    ("inf", "5", "weight: 'inf' is not a number"),
    ("1e400", "5", "weight: '1e400' is not a number"),
    ("100", "3.5", "reps: '3.5' is not a whole number"),
    ("", "", "weight: required"),
    ("100", "0", "reps: must be between 1 and 100"),
    ("5000", "5", "is more than anyone lifts"),
]

SEVERAL_ERRORS = """
kind: meals
id: bad plan
name: Broken
daily:
  - name: Breakfast
    foods: []
    kcal: -5
    protein: 30
    carbs: 40
  - {name: Lunch, foods: [{name: Rice}], kcal: 500, protein: 30, carbs: 60, fat: 10, sauce: yes}
"""
