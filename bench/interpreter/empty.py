# Nothing: the fixed cost of exec, taken off the fill programs per element.
None
