# The sum of squares below one million: one number addition and one product per step.
s = 0
for i in range(1000000):
    s = s + i * i
print(s)
