// JavaScript & friends
const add = (a, b) => a + b;
let s = `template ${add(1, 2)} literal`;
if (s !== null && s.length >= 10) {
  console.log("len:", s.length); // ok
}
export default { add, s, re: /\s+(?!\S)/gu, big: 9007199254740991n };
