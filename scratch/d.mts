const data = [1,2,3];
let n = 0;
for await (const x of data) n++;
console.log(n);
