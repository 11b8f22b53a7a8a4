# Filling a 200×200 list of lists element by element.
n = 200
W = [[0.0] * n for _ in range(n)]
for i in range(n):
    for j in range(n):
        W[i][j] = i + j
print(W[n - 1][n - 1])
