import{a as e,c as t,n,r,t as i}from"./jsx-runtime-Ccsrfuxr.js";var a=t(e()),o=r(),s={NAME:`Name`,DOCUMENT:`Document`,OPERATION_DEFINITION:`OperationDefinition`,VARIABLE_DEFINITION:`VariableDefinition`,SELECTION_SET:`SelectionSet`,FIELD:`Field`,ARGUMENT:`Argument`,FRAGMENT_SPREAD:`FragmentSpread`,INLINE_FRAGMENT:`InlineFragment`,FRAGMENT_DEFINITION:`FragmentDefinition`,VARIABLE:`Variable`,INT:`IntValue`,FLOAT:`FloatValue`,STRING:`StringValue`,BOOLEAN:`BooleanValue`,NULL:`NullValue`,ENUM:`EnumValue`,LIST:`ListValue`,OBJECT:`ObjectValue`,OBJECT_FIELD:`ObjectField`,DIRECTIVE:`Directive`,NAMED_TYPE:`NamedType`,LIST_TYPE:`ListType`,NON_NULL_TYPE:`NonNullType`},c=class extends Error{constructor(e,t,n,r,i,a,o){super(e),this.name=`GraphQLError`,this.message=e,i&&(this.path=i),t&&(this.nodes=Array.isArray(t)?t:[t]),n&&(this.source=n),r&&(this.positions=r),a&&(this.originalError=a);var s=o;if(!s&&a){var c=a.extensions;c&&typeof c==`object`&&(s=c)}this.extensions=s||{}}toJSON(){return{...this,message:this.message}}toString(){return this.message}get[Symbol.toStringTag](){return`GraphQLError`}},l,u;function d(e){return new c(`Syntax Error: Unexpected token at ${u} in ${e}`)}function f(e){if(e.lastIndex=u,e.test(l))return l.slice(u,u=e.lastIndex)}var p=/ +(?=[^\s])/y;function m(e){for(var t=e.split(`
`),n=``,r=0,i=0,a=t.length-1,o=0;o<t.length;o++)p.lastIndex=0,p.test(t[o])&&(o&&(!r||p.lastIndex<r)&&(r=p.lastIndex),i||=o,a=o);for(var s=i;s<=a;s++)s!==i&&(n+=`
`),n+=t[s].slice(r).replace(/\\"""/g,`"""`);return n}function h(){for(var e=0|l.charCodeAt(u++);e===9||e===10||e===13||e===32||e===35||e===44||e===65279;e=0|l.charCodeAt(u++))if(e===35)for(;(e=0|l.charCodeAt(u++))&&e!==10&&e!==13;);u--}function g(){for(var e=u,t=0|l.charCodeAt(u++);t>=48&&t<=57||t>=65&&t<=90||t===95||t>=97&&t<=122;t=0|l.charCodeAt(u++));if(e===u-1)throw d(`Name`);var n=l.slice(e,--u);return h(),n}function _(){return{kind:`Name`,value:g()}}var v=/(?:"""|(?:[\s\S]*?[^\\])""")/y,ee=/(?:(?:\.\d+)?[eE][+-]?\d+|\.\d+)/y;function y(e){var t;switch(l.charCodeAt(u)){case 91:u++,h();for(var n=[];l.charCodeAt(u)!==93;)n.push(y(e));return u++,h(),{kind:`ListValue`,values:n};case 123:u++,h();for(var r=[];l.charCodeAt(u)!==125;){var i=_();if(l.charCodeAt(u++)!==58)throw d(`ObjectField`);h(),r.push({kind:`ObjectField`,name:i,value:y(e)})}return u++,h(),{kind:`ObjectValue`,fields:r};case 36:if(e)throw d(`Variable`);return u++,{kind:`Variable`,name:_()};case 34:if(l.charCodeAt(u+1)===34&&l.charCodeAt(u+2)===34){if(u+=3,(t=f(v))==null)throw d(`StringValue`);return h(),{kind:`StringValue`,value:m(t.slice(0,-3)),block:!0}}var a=u,o;u++;var s=!1;for(o=0|l.charCodeAt(u++);o===92&&(u++,s=!0)||o!==10&&o!==13&&o!==34&&o;o=0|l.charCodeAt(u++));if(o!==34)throw d(`StringValue`);return t=l.slice(a,u),h(),{kind:`StringValue`,value:s?JSON.parse(t):t.slice(1,-1),block:!1};case 45:case 48:case 49:case 50:case 51:case 52:case 53:case 54:case 55:case 56:case 57:for(var c=u++,p;(p=0|l.charCodeAt(u++))>=48&&p<=57;);var b=l.slice(c,--u);if((p=l.charCodeAt(u))===46||p===69||p===101){if((t=f(ee))==null)throw d(`FloatValue`);return h(),{kind:`FloatValue`,value:b+t}}return h(),{kind:`IntValue`,value:b};case 110:if(l.charCodeAt(u+1)===117&&l.charCodeAt(u+2)===108&&l.charCodeAt(u+3)===108)return u+=4,h(),{kind:`NullValue`};break;case 116:if(l.charCodeAt(u+1)===114&&l.charCodeAt(u+2)===117&&l.charCodeAt(u+3)===101)return u+=4,h(),{kind:`BooleanValue`,value:!0};break;case 102:if(l.charCodeAt(u+1)===97&&l.charCodeAt(u+2)===108&&l.charCodeAt(u+3)===115&&l.charCodeAt(u+4)===101)return u+=5,h(),{kind:`BooleanValue`,value:!1}}return{kind:`EnumValue`,value:g()}}function b(e){if(l.charCodeAt(u)===40){var t=[];u++,h();do{var n=_();if(l.charCodeAt(u++)!==58)throw d(`Argument`);h(),t.push({kind:`Argument`,name:n,value:y(e)})}while(l.charCodeAt(u)!==41);return u++,h(),t}}function x(e){if(l.charCodeAt(u)===64){var t=[];do u++,t.push({kind:`Directive`,name:_(),arguments:b(e)});while(l.charCodeAt(u)===64);return t}}function S(){for(var e=0;l.charCodeAt(u)===91;)e++,u++,h();var t={kind:`NamedType`,name:_()};do if(l.charCodeAt(u)===33&&(u++,h(),t={kind:`NonNullType`,type:t}),e){if(l.charCodeAt(u++)!==93)throw d(`NamedType`);h(),t={kind:`ListType`,type:t}}while(e--);return t}function C(){if(l.charCodeAt(u++)!==123)throw d(`SelectionSet`);return h(),w()}function w(){var e=[];do if(l.charCodeAt(u)===46){if(l.charCodeAt(++u)!==46||l.charCodeAt(++u)!==46)throw d(`SelectionSet`);switch(u++,h(),l.charCodeAt(u)){case 64:e.push({kind:`InlineFragment`,typeCondition:void 0,directives:x(!1),selectionSet:C()});break;case 111:l.charCodeAt(u+1)===110?(u+=2,h(),e.push({kind:`InlineFragment`,typeCondition:{kind:`NamedType`,name:_()},directives:x(!1),selectionSet:C()})):e.push({kind:`FragmentSpread`,name:_(),directives:x(!1)});break;case 123:u++,h(),e.push({kind:`InlineFragment`,typeCondition:void 0,directives:void 0,selectionSet:w()});break;default:e.push({kind:`FragmentSpread`,name:_(),directives:x(!1)})}}else{var t=_(),n=void 0;l.charCodeAt(u)===58&&(u++,h(),n=t,t=_());var r=b(!1),i=x(!1),a=void 0;l.charCodeAt(u)===123&&(u++,h(),a=w()),e.push({kind:`Field`,alias:n,name:t,arguments:r,directives:i,selectionSet:a})}while(l.charCodeAt(u)!==125);return u++,h(),{kind:`SelectionSet`,selections:e}}function T(){if(h(),l.charCodeAt(u)===40){var e=[];u++,h();do{var t=void 0;if(l.charCodeAt(u)===34&&(t=y(!0)),l.charCodeAt(u++)!==36)throw d(`Variable`);var n=_();if(l.charCodeAt(u++)!==58)throw d(`VariableDefinition`);h();var r=S(),i=void 0;l.charCodeAt(u)===61&&(u++,h(),i=y(!0)),h();var a={kind:`VariableDefinition`,variable:{kind:`Variable`,name:n},type:r,defaultValue:i,directives:x(!0)};t&&(a.description=t),e.push(a)}while(l.charCodeAt(u)!==41);return u++,h(),e}}function E(e){var t=_();if(l.charCodeAt(u++)!==111||l.charCodeAt(u++)!==110)throw d(`FragmentDefinition`);h();var n={kind:`FragmentDefinition`,name:t,typeCondition:{kind:`NamedType`,name:_()},directives:x(!1),selectionSet:C()};return e&&(n.description=e),n}function D(){var e=[];do{var t=void 0;if(l.charCodeAt(u)===34&&(t=y(!0)),l.charCodeAt(u)===123){if(t)throw d(`Document`);u++,h(),e.push({kind:`OperationDefinition`,operation:`query`,name:void 0,variableDefinitions:void 0,directives:void 0,selectionSet:w()})}else{var n=g();switch(n){case`fragment`:e.push(E(t));break;case`query`:case`mutation`:case`subscription`:var r,i=void 0;(r=l.charCodeAt(u))!==40&&r!==64&&r!==123&&(i=_());var a={kind:`OperationDefinition`,operation:n,name:i,variableDefinitions:T(),directives:x(!1),selectionSet:C()};t&&(a.description=t),e.push(a);break;default:throw d(`Document`)}}}while(u<l.length);return e}function te(e,t){return l=e.body?e.body:e,u=0,h(),t&&t.noLocation?{kind:`Document`,definitions:D()}:{kind:`Document`,definitions:D(),loc:{start:0,end:l.length,startToken:void 0,endToken:void 0,source:{body:l,name:`graphql.web`,locationOffset:{line:1,column:1}}}}}function O(e,t,n){for(var r=``,i=0;i<e.length;i++)i&&(r+=t),r+=n(e[i]);return r}function k(e){return JSON.stringify(e)}function ne(e){return`"""
`+e.replace(/"""/g,`\\"""`)+`
"""`}var A=`
`,j={OperationDefinition(e){var t=``;e.description&&(t+=j.StringValue(e.description)+`
`),t+=e.operation,e.name&&(t+=` `+e.name.value),e.variableDefinitions&&e.variableDefinitions.length&&(e.name||(t+=` `),t+=`(`+O(e.variableDefinitions,`, `,j.VariableDefinition)+`)`),e.directives&&e.directives.length&&(t+=` `+O(e.directives,` `,j.Directive));var n=j.SelectionSet(e.selectionSet);return t===`query`?n:t+` `+n},VariableDefinition(e){var t=``;return e.description&&(t+=j.StringValue(e.description)+` `),t+=j.Variable(e.variable)+`: `+M(e.type),e.defaultValue&&(t+=` = `+M(e.defaultValue)),e.directives&&e.directives.length&&(t+=` `+O(e.directives,` `,j.Directive)),t},Field(e){var t=e.alias?e.alias.value+`: `+e.name.value:e.name.value;if(e.arguments&&e.arguments.length){var n=O(e.arguments,`, `,j.Argument);t.length+n.length+2>80?t+=`(`+(A+=`  `)+O(e.arguments,A,j.Argument)+(A=A.slice(0,-2))+`)`:t+=`(`+n+`)`}return e.directives&&e.directives.length&&(t+=` `+O(e.directives,` `,j.Directive)),e.selectionSet&&e.selectionSet.selections.length&&(t+=` `+j.SelectionSet(e.selectionSet)),t},StringValue(e){return e.block?ne(e.value).replace(/\n/g,A):k(e.value)},BooleanValue:e=>``+e.value,NullValue:e=>`null`,IntValue:e=>e.value,FloatValue:e=>e.value,EnumValue:e=>e.value,Name:e=>e.value,Variable:e=>`$`+e.name.value,ListValue:e=>`[`+O(e.values,`, `,M)+`]`,ObjectValue:e=>`{`+O(e.fields,`, `,j.ObjectField)+`}`,ObjectField:e=>e.name.value+`: `+M(e.value),Document(e){return!e.definitions||!e.definitions.length?``:O(e.definitions,`

`,M)},SelectionSet:e=>`{`+(A+=`  `)+O(e.selections,A,M)+(A=A.slice(0,-2))+`}`,Argument:e=>e.name.value+`: `+M(e.value),FragmentSpread(e){var t=`...`+e.name.value;return e.directives&&e.directives.length&&(t+=` `+O(e.directives,` `,j.Directive)),t},InlineFragment(e){var t=`...`;return e.typeCondition&&(t+=` on `+e.typeCondition.name.value),e.directives&&e.directives.length&&(t+=` `+O(e.directives,` `,j.Directive)),t+=` `+j.SelectionSet(e.selectionSet)},FragmentDefinition(e){var t=``;return e.description&&(t+=j.StringValue(e.description)+`
`),t+=`fragment `+e.name.value,t+=` on `+e.typeCondition.name.value,e.directives&&e.directives.length&&(t+=` `+O(e.directives,` `,j.Directive)),t+` `+j.SelectionSet(e.selectionSet)},Directive(e){var t=`@`+e.name.value;return e.arguments&&e.arguments.length&&(t+=`(`+O(e.arguments,`, `,j.Argument)+`)`),t},NamedType:e=>e.name.value,ListType:e=>`[`+M(e.type)+`]`,NonNullType:e=>M(e.type)+`!`},M=e=>j[e.kind](e);function re(e){return A=`
`,j[e.kind]?j[e.kind](e):``}var ie=()=>{},N=ie;function P(e){return{tag:0,0:e}}function ae(e){return{tag:1,0:e}}var oe=()=>typeof Symbol==`function`&&Symbol.asyncIterator||`@@asyncIterator`,se=e=>e;function F(e){return t=>n=>{var r=N;t((t=>{t===0?n(0):t.tag===0?(r=t[0],n(t)):e(t[0])?n(t):r(0)}))}}function ce(e){return t=>n=>t((t=>{t===0||t.tag===0?n(t):n(ae(e(t[0])))}))}function le(e){return t=>n=>{var r=[],i=N,a=!1,o=!1;t((t=>{o||(t===0?(o=!0,r.length||n(0)):t.tag===0?i=t[0]:(a=!1,(function(e){var t=N;e((e=>{if(e===0){if(r.length){var s=r.indexOf(t);s>-1&&(r=r.slice()).splice(s,1),r.length||(o?n(0):a||(a=!0,i(0)))}}else e.tag===0?(r.push(t=e[0]),t(0)):r.length&&(n(e),t(0))}))})(e(t[0])),a||(a=!0,i(0))))})),n(P((e=>{if(e===1){o||(o=!0,i(1));for(var t=0,n=r,s=r.length;t<s;t++)n[t](1);r.length=0}else{!o&&!a?(a=!0,i(0)):a=!1;for(var c=0,l=r,u=r.length;c<u;c++)l[c](0)}})))}}function ue(e){return le(se)(e)}function I(e){return ue(Se(e))}function de(e){return t=>n=>{var r=!1;t((t=>{if(!r){if(t===0)r=!0,n(0),e();else if(t.tag===0){var i=t[0];n(P((t=>{t===1?(r=!0,i(1),e()):i(t)})))}else n(t)}}))}}function fe(e){return t=>n=>{var r=!1;t((t=>{if(!r){if(t===0)r=!0,n(0);else if(t.tag===0){var i=t[0];n(P((e=>{e===1&&(r=!0),i(e)})))}else e(t[0]),n(t)}}))}}function pe(e){return t=>n=>t((t=>{t===0?n(0):t.tag===0?(n(t),e()):n(t)}))}function me(e){var t=[],n=N,r=!1;return i=>{t.push(i),t.length===1&&e((e=>{if(e===0){for(var i=0,a=t,o=t.length;i<o;i++)a[i](0);t.length=0}else if(e.tag===0)n=e[0];else{r=!1;for(var s=0,c=t,l=t.length;s<l;s++)c[s](e)}})),i(P((e=>{if(e===1){var a=t.indexOf(i);a>-1&&(t=t.slice()).splice(a,1),t.length||n(1)}else r||(r=!0,n(0))})))}}function he(e){return t=>n=>{var r=N,i=N,a=!1,o=!1,s=!1,c=!1;t((t=>{c||(t===0?(c=!0,s||n(0)):t.tag===0?r=t[0]:(s&&(i(1),i=N),a?a=!1:(a=!0,r(0)),(function(e){s=!0,e((e=>{s&&(e===0?(s=!1,c?n(0):a||(a=!0,r(0))):e.tag===0?(o=!1,(i=e[0])(0)):(n(e),o?o=!1:i(0)))}))})(e(t[0]))))})),n(P((e=>{e===1?(c||(c=!0,r(1)),s&&(s=!1,i(1))):(!c&&!a&&(a=!0,r(0)),s&&!o&&(o=!0,i(0)))})))}}function ge(e){return t=>n=>{var r=N,i=!1,a=0;t((t=>{i||(t===0?(i=!0,n(0)):t.tag===0?e<=0?(i=!0,n(0),t[0](1)):r=t[0]:a++<e?(n(t),!i&&a>=e&&(i=!0,n(0),r(1))):n(t))})),n(P((t=>{t===1&&!i?(i=!0,r(1)):t===0&&!i&&a<e&&r(0)})))}}function _e(e){return t=>n=>{var r=N,i=N,a=!1;t((t=>{a||(t===0?(a=!0,i(1),n(0)):t.tag===0?(r=t[0],e((e=>{e===0||(e.tag===0?(i=e[0])(0):(a=!0,i(1),r(1),n(0)))}))):n(t))})),n(P((e=>{e===1&&!a?(a=!0,r(1),i(1)):a||r(0)})))}}function ve(e,t){return n=>r=>{var i=N,a=!1;n((n=>{a||(n===0?(a=!0,r(0)):n.tag===0?(i=n[0],r(n)):e(n[0])?r(n):(a=!0,t&&r(n),r(0),i(1)))}))}}function ye(e){return t=>e()(t)}function be(e){return t=>{var n=e[oe()]&&e[oe()]()||e,r=!1,i=!1,a=!1,o;t(P((async e=>{if(e===1)r=!0,n.return&&n.return();else if(i)a=!0;else{for(a=i=!0;a&&!r;)if((o=await n.next()).done)r=!0,n.return&&await n.return(),t(0);else try{a=!1,t(ae(o.value))}catch(e){if(n.throw)(r=!!(await n.throw(e)).done)&&t(0);else throw e}i=!1}})))}}function xe(e){return e[oe()]?be(e):t=>{var n=e[Symbol.iterator](),r=!1,i=!1,a=!1,o;t(P((e=>{if(e===1)r=!0,n.return&&n.return();else if(i)a=!0;else{for(a=i=!0;a&&!r;)if((o=n.next()).done)r=!0,n.return&&n.return(),t(0);else try{a=!1,t(ae(o.value))}catch(e){if(n.throw)(r=!!n.throw(e).done)&&t(0);else throw e}i=!1}})))}}var Se=xe;function Ce(e){return t=>{var n=!1;t(P((r=>{r===1?n=!0:n||(n=!0,t(ae(e)),t(0))})))}}function we(e){return t=>{var n=!1,r=e({next(e){n||t(ae(e))},complete(){n||(n=!0,t(0))}});t(P((e=>{e===1&&!n&&(n=!0,r())})))}}function Te(){var e,t;return{source:me(we((n=>(e=n.next,t=n.complete,ie)))),next(t){e&&e(t)},complete(){t&&t()}}}function L(e){return t=>{var n=N,r=!1;return t((t=>{t===0?r=!0:t.tag===0?(n=t[0])(0):r||(e(t[0]),n(0))})),{unsubscribe(){r||(r=!0,n(1))}}}}function Ee(e){L((e=>{}))(e)}function De(e){return new Promise((t=>{var n=N,r;e((e=>{e===0?Promise.resolve(r).then(t):e.tag===0?(n=e[0])(0):(r=e[0],n(0))}))}))}var Oe=e=>e&&typeof e.message==`string`&&(e.extensions||e.name===`GraphQLError`)?e:typeof e==`object`&&typeof e.message==`string`?new c(e.message,e.nodes,e.source,e.positions,e.path,e,e.extensions||{}):new c(e),ke=class extends Error{constructor(e){var t=(e.graphQLErrors||[]).map(Oe),n=((e,t)=>{var n=``;if(e)return`[Network] ${e.message}`;if(t)for(var r=0,i=t.length;r<i;r++)n&&(n+=`
`),n+=`[GraphQL] ${t[r].message}`;return n})(e.networkError,t);super(n),this.name=`CombinedError`,this.message=n,this.graphQLErrors=t,this.networkError=e.networkError,this.response=e.response}toString(){return this.message}},Ae=(e,t)=>{for(var n=0|(t||5381),r=0,i=0|e.length;r<i;r++)n=(n<<5)+n+e.charCodeAt(r);return n},R=new Set,je=new WeakMap,z=(e,t)=>{if(e===null||R.has(e))return`null`;if(typeof e!=`object`)return JSON.stringify(e)||``;if(e.toJSON)return z(e.toJSON(),t);if(Array.isArray(e)){for(var n=`[`,r=0,i=e.length;r<i;r++)n.length>1&&(n+=`,`),n+=z(e[r],t)||`null`;return n+=`]`}if(!t&&(Pe!==B&&e instanceof Pe||Fe!==B&&e instanceof Fe))return`null`;var a=Object.keys(e).sort();if(!a.length&&e.constructor&&Object.getPrototypeOf(e).constructor!==Object.prototype.constructor){var o=je.get(e)||Math.random().toString(36).slice(2);return je.set(e,o),z({__key:o},t)}R.add(e);for(var s=`{`,c=0,l=a.length;c<l;c++){var u=z(e[a[c]],t);u&&(s.length>1&&(s+=`,`),s+=z(a[c],t)+`:`+u)}return R.delete(e),s+=`}`},Me=(e,t,n)=>{if(!(typeof n!=`object`||!n||n.toJSON||R.has(n))){if(Array.isArray(n))for(var r=0,i=n.length;r<i;r++)Me(e,`${t}.${r}`,n[r]);else if(n instanceof Pe||n instanceof Fe)e.set(t,n);else for(var a in R.add(n),n)Me(e,`${t}.${a}`,n[a])}},Ne=(e,t)=>(R.clear(),z(e,t||!1)),B=class{},Pe=typeof File<`u`?File:B,Fe=typeof Blob<`u`?Blob:B,Ie=/("{3}[\s\S]*"{3}|"(?:\\.|[^"])*")/g,Le=/(?:#[^\n\r]+)?(?:[\r\n]+|$)/g,Re=(e,t)=>t%2==0?e.replace(Le,`
`):e,ze=e=>e.split(Ie).map(Re).join(``).trim(),Be=new Map,Ve=new Map,He=e=>{var t;return typeof e==`string`?t=ze(e):e.loc&&Ve.get(e.__key)===e?t=e.loc.source.body:(t=Be.get(e)||ze(re(e)),Be.set(e,t)),typeof e!=`string`&&!e.loc&&(e.loc={start:0,end:t.length,source:{body:t,name:`gql`,locationOffset:{line:1,column:1}}}),t},Ue=e=>{var t;if(e.documentId)t=Ae(e.documentId);else if(t=Ae(He(e)),e.definitions){var n=Ge(e);n&&(t=Ae(`\n# ${n}`,t))}return t},We=e=>{var t,n;return typeof e==`string`?(t=Ue(e),n=Ve.get(t)||te(e,{noLocation:!0})):(t=e.__key||Ue(e),n=Ve.get(t)||e),n.loc||He(n),n.__key=t,Ve.set(t,n),n},V=(e,t,n)=>{var r=t||{},i=We(e),a=Ne(r,!0),o=i.__key;return a!==`{}`&&(o=Ae(a,o)),{key:o,query:i,variables:r,extensions:n}},Ge=e=>{for(var t=0,n=e.definitions.length;t<n;t++){var r=e.definitions[t];if(r.kind===s.OPERATION_DEFINITION)return r.name?r.name.value:void 0}},Ke=(e,t,n)=>{var r=t.payload||t;if(!(`data`in r||`errors`in r&&Array.isArray(r.errors)))throw Error(`No Content`);var i=e.kind===`subscription`;return{operation:e,data:r.data,error:Array.isArray(r.errors)?new ke({graphQLErrors:r.errors,response:n}):void 0,extensions:r.extensions?{...r.extensions}:void 0,hasNext:t.hasNext==null?i:t.hasNext,stale:!1}},qe=(e,t)=>{if(typeof e==`object`&&e){if(Array.isArray(e)){e=[...e];for(var n=0,r=t.length;n<r;n++)e[n]=qe(e[n],t[n]);return e}if(!e.constructor||e.constructor===Object){for(var i in e={...e},t)e[i]=qe(e[i],t[i]);return e}}return t},Je=(e,t,n,r)=>{var i=e.error?e.error.graphQLErrors:[],a=!!e.extensions||!!(t.payload||t).extensions,o={...e.extensions,...(t.payload||t).extensions},s=t.incremental;`path`in t&&(s=[t]);var c={data:e.data};if(s)for(var l=function(){var e=s[u];Array.isArray(e.errors)&&i.push(...e.errors),e.extensions&&(Object.assign(o,e.extensions),a=!0);var t=`data`,n=c,l=[];if(e.path)l=e.path;else if(r){var d=r.find((t=>t.id===e.id));l=e.subPath?[...d.path,...e.subPath]:d.path}for(var f=0,p=l.length;f<p;t=l[f++])n=n[t]=Array.isArray(n[t])?[...n[t]]:{...n[t]};if(e.items)for(var m=+t>=0?t:0,h=0,g=e.items.length;h<g;h++)n[m+h]=qe(n[m+h],e.items[h]);else e.data!==void 0&&(n[t]=qe(n[t],e.data))},u=0,d=s.length;u<d;u++)l();else c.data=(t.payload||t).data||e.data,i=t.errors||t.payload&&t.payload.errors||i;return{operation:e.operation,data:c.data,error:i.length?new ke({graphQLErrors:i,response:n}):void 0,extensions:a?o:void 0,hasNext:t.hasNext==null?e.hasNext:t.hasNext,stale:!1}},Ye=(e,t,n)=>({operation:e,data:void 0,error:new ke({networkError:t,response:n}),extensions:void 0,hasNext:!1,stale:!1});function Xe(e){var t={query:void 0,documentId:void 0,operationName:Ge(e.query),variables:e.variables||void 0,extensions:e.extensions};return`documentId`in e.query&&e.query.documentId&&(!e.query.definitions||!e.query.definitions.length)?t.documentId=e.query.documentId:e.extensions&&e.extensions.persistedQuery&&!e.extensions.persistedQuery.miss||(t.query=He(e.query)),t}var Ze=(e,t)=>{var n=e.kind===`query`&&e.context.preferGetMethod;if(!n||!t)return e.context.url;var r=Qe(e.context.url);for(var i in t){var a=t[i];a&&r[1].set(i,typeof a==`object`?Ne(a):a)}var o=r.join(`?`);return o.length>2047&&n!==`force`?(e.context.preferGetMethod=!1,e.context.url):o},Qe=e=>{var t=e.indexOf(`?`);return t>-1?[e.slice(0,t),new URLSearchParams(e.slice(t+1))]:[e,new URLSearchParams]},$e=(e,t)=>{if(t&&!(e.kind===`query`&&e.context.preferGetMethod)){var n=Ne(t),r=(e=>{var t=new Map;return(Pe!==B||Fe!==B)&&(R.clear(),Me(t,`variables`,e)),t})(t.variables);if(r.size){var i=new FormData;i.append(`operations`,n),i.append(`map`,Ne({...[...r.keys()].map((e=>[e]))}));var a=0;for(var o of r.values())i.append(``+a++,o);return i}return n}},et=(e,t)=>{var n={accept:e.kind===`subscription`?`text/event-stream, multipart/mixed`:`application/graphql-response+json, application/graphql+json, application/json, text/event-stream, multipart/mixed`},r=(typeof e.context.fetchOptions==`function`?e.context.fetchOptions():e.context.fetchOptions)||{};if(r.headers){if((e=>`has`in e&&!Object.keys(e).length)(r.headers))r.headers.forEach(((e,t)=>{n[t]=e}));else if(Array.isArray(r.headers))r.headers.forEach(((e,t)=>{Array.isArray(e)?n[e[0]]?n[e[0]]=`${n[e[0]]},${e[1]}`:n[e[0]]=e[1]:n[t]=e}));else for(var i in r.headers)n[i.toLowerCase()]=r.headers[i]}var a=$e(e,t);return typeof a==`string`&&!n[`content-type`]&&(n[`content-type`]=`application/json`),{...r,method:a?`POST`:`GET`,body:a,headers:n}},tt=/boundary="?([^=";]+)"?/i,nt=/data: ?([^\n]+)/;async function*rt(e){if(e.body[Symbol.asyncIterator])for await(var t of e.body)yield t;else{var n=e.body.getReader(),r;try{for(;!(r=await n.read()).done;)yield r.value}finally{n.cancel()}}}async function*it(e,t){var n=typeof TextDecoder<`u`?new TextDecoder:null,r=``,i;for await(var a of e)for(r+=a.constructor.name===`Buffer`?a.toString():n.decode(a,{stream:!0});(i=r.indexOf(t))>-1;)yield r.slice(0,i),r=r.slice(i+t.length)}async function*at(e,t,n){var r=!0,i=null,a;try{yield await Promise.resolve();var o=(a=await(e.context.fetch||fetch)(t,n)).headers.get(`Content-Type`)||``,s=/multipart\/mixed/i.test(o)?async function*(e,t){var n=e.match(tt),r=`--`+(n?n[1]:`-`),i=!0,a;for await(var o of it(rt(t),`\r
`+r)){if(i){i=!1;var s=o.indexOf(r);if(s>-1)o=o.slice(s+r.length);else continue}try{yield a=JSON.parse(o.slice(o.indexOf(`\r
\r
`)+4))}catch(e){if(!a)throw e}if(a&&!1===a.hasNext)break}a&&!1!==a.hasNext&&(yield{hasNext:!1})}(o,a):/text\/event-stream/i.test(o)?async function*(e){var t;for await(var n of it(rt(e),`

`)){var r=n.match(nt);if(r){var i=r[1];try{yield t=JSON.parse(i)}catch(e){if(!t)throw e}if(t&&!1===t.hasNext)break}}t&&!1!==t.hasNext&&(yield{hasNext:!1})}(a):/text\//i.test(o)?async function*(e){var t=await e.text();try{yield JSON.parse(t)}catch{throw Error(t)}}(a):async function*(e){yield JSON.parse(await e.text())}(a),c;for await(var l of s)l.pending&&!i?c=l.pending:l.pending&&(c=[...c,...l.pending]),i=i?Je(i,l,a,c):Ke(e,l,a),r=!1,yield i,r=!0;i||(yield i=Ke(e,{},a))}catch(t){if(!r)throw t;yield Ye(e,a&&(a.status<200||a.status>=300)&&a.statusText?Error(a.statusText):t,a)}}function ot(e,t,n){var r;return typeof AbortController<`u`&&(n.signal=(r=new AbortController).signal),de((()=>{r&&r.abort()}))(F((e=>!!e))(be(at(e,t,n))))}function st(e){var t=t=>e(t);return t.toPromise=()=>De(ge(1)(F((e=>!e.stale&&!e.hasNext))(t))),t.then=(e,n)=>t.toPromise().then(e,n),t.subscribe=e=>L(e)(t),t}function ct(e,t,n){return{...t,kind:e,context:t.context?{...t.context,...n}:n||t.context}}var lt=()=>{};function H(e){for(var t=new Map,n=[],r=[],i=Array.isArray(e)?e[0]:e||``,a=1;a<arguments.length;a++){var o=arguments[a];o&&o.definitions?r.push(o):i+=o,i+=arguments[0][a]}r.unshift(We(i));for(var c=0;c<r.length;c++)for(var l=0;l<r[c].definitions.length;l++){var u=r[c].definitions[l];if(u.kind===s.FRAGMENT_DEFINITION){var d=u.name.value,f=He(u);t.has(d)||(t.set(d,f),n.push(u))}else n.push(u)}return We({kind:s.DOCUMENT,definitions:n})}var ut=({forwardSubscription:e,enableAllOperations:t,isSubscriptionOperation:n})=>({client:r,forward:i})=>{var a=n||(e=>e.kind===`subscription`||!!t&&(e.kind===`query`||e.kind===`mutation`));return t=>I([le((n=>{var{key:i}=n;return _e(F((e=>e.kind===`teardown`&&e.key===i))(t))((t=>{var n=e(Xe(t),t);return we((e=>{var i=!1,a,o;function s(n){e.next(o=o?Je(o,n):Ke(t,n))}return Promise.resolve().then((()=>{i||(a=n.subscribe({next:s,error(n){Array.isArray(n)?s({errors:n}):e.next(Ye(t,n)),e.complete()},complete(){i||(i=!0,o&&o.hasNext?s({hasNext:!1}):t.kind===`subscription`&&r.reexecuteOperation(ct(`teardown`,t,t.context)),e.complete())}}))})),()=>{i=!0,a&&a.unsubscribe()}}))})(n))}))(F((e=>e.kind!==`teardown`&&a(e)))(t)),i(F((e=>e.kind===`teardown`||!a(e)))(t))])},dt=({forward:e,dispatchDebug:t})=>t=>I([le((e=>{var n=Xe(e),r=Ze(e,n),i=et(e,n);return _e(F((t=>t.kind===`teardown`&&t.key===e.key))(t))(ot(e,r,i))}))(F((e=>e.kind!==`teardown`&&(e.kind!==`subscription`||!!e.context.fetchSubscriptions)))(t)),e(F((e=>e.kind===`teardown`||e.kind===`subscription`&&!e.context.fetchSubscriptions))(t))]),ft=e=>({client:t,forward:n,dispatchDebug:r})=>e.reduceRight(((e,n)=>n({client:t,forward(t){return me(e(me(t)))},dispatchDebug(e){}})),n),pt=({dispatchDebug:e})=>e=>F((e=>!1))(e),mt=function e(t){var n=0,r=new Map,i=new Map,a=new Set,o=[],s={url:t.url,fetchSubscriptions:t.fetchSubscriptions,fetchOptions:t.fetchOptions,fetch:t.fetch,preferGetMethod:t.preferGetMethod==null?`within-url-limit`:t.preferGetMethod,requestPolicy:t.requestPolicy||`cache-first`},c=Te();function l(e){e.kind!==`mutation`&&e.kind!==`teardown`&&a.has(e.key)||(e.kind===`teardown`?a.delete(e.key):e.kind!==`mutation`&&a.add(e.key),c.next(e))}var u=!1;function d(e){if(e&&l(e),!u){for(u=!0;u&&(e=o.shift());)l(e);u=!1}}var f=e=>{var t=_e(F((t=>t.kind===`teardown`&&t.key===e.key))(c.source))(F((t=>t.operation.kind===e.kind&&t.operation.key===e.key&&(!t.operation.context._instance||t.operation.context._instance===e.context._instance)))(g));return t=e.kind===`query`?he((t=>{var n=Ce(t);return t.stale||t.hasNext?n:I([n,ce((()=>(t.stale=!0,t)))(ge(1)(F((t=>t.key===e.key))(c.source)))])}))(t):ve((e=>!!e.hasNext),!0)(t),t=e.kind===`mutation`?pe((()=>{l(e)}))(t):de((()=>{a.delete(e.key),r.delete(e.key),i.delete(e.key),u=!1;for(var t=o.length-1;t>=0;t--)o[t].key===e.key&&o.splice(t,1);l(ct(`teardown`,e,e.context))}))(fe((t=>{if(t.stale){if(!t.hasNext)a.delete(e.key);else for(var n=0;n<o.length;n++){var i=o[n];if(i.key===t.operation.key){a.delete(i.key);break}}}else t.hasNext||a.delete(e.key);r.set(e.key,t)}))(t)),me(t)},p=this instanceof e?this:Object.create(e.prototype),m=Object.assign(p,{suspense:!!t.suspense,operations$:c.source,reexecuteOperation(e){if(e.kind===`teardown`)d(e);else if(e.kind===`mutation`)o.push(e),Promise.resolve().then(d);else if(i.has(e.key)){for(var t=!1,n=0;n<o.length;n++)o[n].key===e.key&&(o[n]=e,t=!0);t||a.has(e.key)&&e.context.requestPolicy!==`network-only`?(a.delete(e.key),Promise.resolve().then(d)):(o.push(e),Promise.resolve().then(d))}},createRequestOperation(e,t,r){return r||={},ct(e,t,{_instance:e===`mutation`?n=n+1|0:void 0,...s,...r,requestPolicy:r.requestPolicy||s.requestPolicy,suspense:r.suspense||!1!==r.suspense&&m.suspense})},executeRequestOperation(e){return e.kind===`mutation`?st(f(e)):st(ye((()=>{var t=i.get(e.key);t||i.set(e.key,t=f(e)),t=pe((()=>{d(e)}))(t);var n=r.get(e.key);return e.kind===`query`&&n&&(n.stale||n.hasNext)?he(Ce)(I([t,F((t=>t===r.get(e.key)))(Ce(n))])):t})))},executeQuery(e,t){var n=m.createRequestOperation(`query`,e,t);return m.executeRequestOperation(n)},executeSubscription(e,t){var n=m.createRequestOperation(`subscription`,e,t);return m.executeRequestOperation(n)},executeMutation(e,t){var n=m.createRequestOperation(`mutation`,e,t);return m.executeRequestOperation(n)},readQuery(e,t,n){var r=null;return L((e=>{r=e}))(m.query(e,t,n)).unsubscribe(),r},query:(e,t,n)=>m.executeQuery(V(e,t),n),subscription:(e,t,n)=>m.executeSubscription(V(e,t),n),mutation:(e,t,n)=>m.executeMutation(V(e,t),n)}),h=lt,g=me(ft(t.exchanges)({client:m,dispatchDebug:h,forward:pt({dispatchDebug:h})})(c.source));return Ee(g),m},ht=a.createContext({}),gt=ht.Provider;ht.Consumer,ht.displayName=`UrqlContext`;var U=()=>a.useContext(ht),_t={fetching:!1,stale:!1,hasNext:!1,error:void 0,data:void 0,extensions:void 0,operation:void 0},vt=(e,t)=>e===t||!(!e||!t||e.key!==t.key),yt=(e,t)=>{var n={...e,...t,data:t.data!==void 0||t.error?t.data:e.data,fetching:!!t.fetching,stale:!!t.stale,error:t.fetching?e.error:t.error};return((e,t)=>{for(var n in e)if(!(n in t))return!0;for(var r in t)if(r===`operation`?!vt(e[r],t[r]):e[r]!==t[r])return!0;return!1})(e,n)?n:e},bt=(e,t)=>{for(var n=0,r=t.length;n<r;n++)if(e[n]!==t[n])return!0;return!1},xt=!1;function W(e,t){if(!xt||t===void 0)try{return xt=!0,e(t)}finally{xt=!1}else Promise.resolve(t).then(e)}function G(e){var t=a.useRef(!0),n=U(),[r,i]=a.useState(_t),o=a.useCallback(((r,a)=>(W(i,{..._t,fetching:!0}),De(ge(1)(F((e=>!e.hasNext))(fe((e=>{t.current&&W(i,{fetching:!1,stale:e.stale,data:e.data,error:e.error,extensions:e.extensions,operation:e.operation,hasNext:e.hasNext})}))(n.executeMutation(V(e,r),a||{}))))))),[n,e,i]);return a.useEffect((()=>(t.current=!0,()=>{t.current=!1})),[]),[r,o]}function St(e,t){var n=a.useRef(void 0);return a.useMemo((()=>{var r=V(e,t);return n.current!==void 0&&n.current.key===r.key?n.current:(n.current=r,r)}),[e,t])}var Ct=e=>{if(!e._react){var t=new Set,n=new Map;e.operations$&&L((e=>{e.kind===`teardown`&&t.has(e.key)&&(t.delete(e.key),n.delete(e.key))}))(e.operations$),e._react={get:e=>n.get(e),set(e,r){t.delete(e),n.set(e,r)},clear(e){t.delete(e),n.delete(e)},dispose(e){t.add(e)}}}return e._react},wt=(e,t)=>t&&t.suspense!==void 0?!!t.suspense:e.suspense;function K(e){var t=U(),n=Ct(t),r=wt(t,e.context),i=St(e.query,e.variables),o=a.useMemo((()=>{if(e.pause)return null;var a=t.executeQuery(i,{requestPolicy:e.requestPolicy,...e.context});return r?fe((e=>{n.set(i.key,e)}))(a):a}),[n,t,i,r,e.pause,e.requestPolicy,e.context]),s=a.useCallback(((e,t)=>{if(!e)return{fetching:!1};var r=n.get(i.key);if(!r){var a,o,s=L((e=>{r=e,a&&a(r)}))(de((()=>{o&&!r&&(n.get(i.key)===o&&n.clear(i.key),a&&a(void 0))}))(ve((()=>t&&!a||!r||`hasNext`in r&&r.hasNext))(e)));if(r==null&&t)throw o=new Promise((e=>{a=e})),n.set(i.key,o),o;s.unsubscribe()}else if(t&&r!=null&&`then`in r){var c=r,l=()=>{n.get(i.key)===c&&n.clear(i.key)};throw c.then(l,l),r}if(t&&r!=null&&!(`then`in r)&&r.error){var u=r;queueMicrotask((()=>{n.get(i.key)===u&&n.clear(i.key)}))}return r||{fetching:!0}}),[n,i]),c=[t,i,e.requestPolicy,e.context,e.pause],[l,u]=a.useState((()=>[o,yt(_t,W((()=>s(o,r)))),c])),d=l[1];o!==l[0]&&bt(l[2],c)&&u([o,d=yt(l[1],W((()=>s(o,r)))),c]),a.useEffect((()=>{var e=l[0],t=l[2][1],r=!1,i=e=>{r=!0,W(u,(t=>{var n=yt(t[1],e);return t[1]===n?t:[t[0],n,t[2]]}))};if(e){var a=L(i)(de((()=>{i({fetching:!1})}))(e));return r||i({fetching:!0}),()=>{n.dispose(t.key),a.unsubscribe()}}i({fetching:!1})}),[n,l[0],l[2][1]]);var f=a.useCallback((a=>{var o={requestPolicy:e.requestPolicy,...e.context,...a};W(u,(e=>[r?fe((e=>{n.set(i.key,e)}))(t.executeQuery(i,o)):t.executeQuery(i,o),e[1],c]))}),[t,n,i,r,e.requestPolicy,e.context,e.pause]);return[d,f]}var Tt=(e,t)=>ct(e.kind,e,{...e.context,authAttempt:t});function Et(e){return({client:t,forward:n})=>{var r=new Set,i=Te(),a=Te(),o=new Map;function s(){l=void 0;var e=o;o=new Map,e.forEach(i.next)}function c(e){l=void 0;var t=o;o=new Map,t.forEach((t=>{a.next(Ye(t,e))}))}var l,u=null;return d=>{function f(){l=Promise.resolve().then((()=>e({mutate(e,n,a){var o=t.createRequestOperation(`mutation`,V(e,n),a);return De(ge(1)(F((e=>e.operation.key===o.key&&o.context._instance===e.operation.context._instance))(pe((()=>{var e=m(o);r.add(e.context._instance),i.next(e)}))(h))))},appendHeaders(e,t){var n=typeof e.context.fetchOptions==`function`?e.context.fetchOptions():e.context.fetchOptions||{};return ct(e.kind,e,{...e.context,fetchOptions:{...n,headers:{...n.headers,...t}}})}}))).then((e=>{e&&(u=e),s()})).catch((e=>{c(e)}))}f();function p(e){o.set(e.key,Tt(e,!0)),u&&!l&&(l=u.refreshAuth().then(s).catch(c))}function m(e){return u?u.addAuthToOperation(e):e}var h=n(F(Boolean)(ce((e=>e.kind===`teardown`?(o.delete(e.key),e):e.context._instance&&r.has(e.context._instance)?e:e.context.authAttempt?m(e):l||!u?(l||f(),o.has(e.key)||o.set(e.key,Tt(e,!1)),null):function(e){return!e.context.authAttempt&&u&&u.willAuthError&&u.willAuthError(e)}(e)?(p(e),null):m(Tt(e,!1))))(I([i.source,d]))));return I([a.source,F((e=>!r.has(e.operation.context._instance)&&e.error&&function(e){return u&&u.didAuthError&&u.didAuthError(e.error,e.operation)}(e)&&!e.operation.context.authAttempt?(p(e.operation),!1):(r.has(e.operation.context._instance)&&r.delete(e.operation.context._instance),!0)))(h)])}}}var Dt=`soundroom.session`,Ot=H`
  mutation Refresh($refreshToken: String!) {
    refreshTokens(refreshToken: $refreshToken) {
      accessToken
      refreshToken
      expiresIn
      user {
        id
        username
        tag
      }
    }
  }
`,kt=H`
  mutation Logout($refreshToken: String!) {
    logout(refreshToken: $refreshToken)
  }
`,At=new mt({url:`/graphql`,exchanges:[dt],requestPolicy:`network-only`,preferGetMethod:!1}),jt=new Set,q=Pt(),Mt=null,Nt;function Pt(){try{let e=localStorage.getItem(Dt);if(!e)return null;let t=JSON.parse(e);return t&&typeof t.accessToken==`string`&&typeof t.refreshToken==`string`?t:null}catch{return null}}function J(e,t){q=e,t&&(e?localStorage.setItem(Dt,JSON.stringify(e)):localStorage.removeItem(Dt)),It();for(let t of jt)t(e)}function Ft(e){return e.expiresAt-Math.min(6e4,e.lifetimeMs/4)}function It(){if(clearTimeout(Nt),!q)return;let e=Math.max(0,Ft(q)-Date.now());Nt=setTimeout(()=>void Ut().catch(()=>void 0),Math.min(e,2**31-1))}function Lt(e){let t=e.expiresIn*1e3;return{accessToken:e.accessToken,refreshToken:e.refreshToken,expiresAt:Date.now()+t,lifetimeMs:t,user:e.user}}function Rt(){return q}function zt(e){return jt.add(e),()=>jt.delete(e)}function Bt(e){J(Lt(e),!0)}window.addEventListener(`storage`,e=>{(e.key===Dt||e.key===null)&&J(Pt(),!1)});function Vt(){return q!==null&&Date.now()>=Ft(q)}async function Ht(){return q&&Vt()&&await Ut().catch(()=>void 0),q?.accessToken??null}function Ut(e=!1){if(Mt)return Mt;let t=async()=>{let t=Pt();if(!t)return J(null,!1),null;if(t.refreshToken!==q?.refreshToken){if(J(t,!1),!Wt(t))return t}else if(!e&&!Wt(t))return t;let n=await At.mutation(Ot,{refreshToken:t.refreshToken}).toPromise(),r=n.data?.refreshTokens;if(r){let e=Lt(r);return J(e,!0),e}if(n.error?.graphQLErrors.some(e=>e.extensions?.code===`UNAUTHENTICATED`))return J(null,!0),null;throw clearTimeout(Nt),Nt=setTimeout(()=>void Ut().catch(()=>void 0),5e3),n.error??Error(`refresh failed`)},n=(typeof navigator<`u`&&navigator.locks?navigator.locks.request(`soundroom-refresh`,t):t()).finally(()=>{Mt=null});return Mt=n,n}function Wt(e){return Date.now()>=Ft(e)}async function Gt(){let e=q;J(null,!0),e&&await At.mutation(kt,{refreshToken:e.refreshToken}).toPromise()}It();var Kt={connects:0,reconnects:0,lastCloseCode:0};function qt(){let e=new URL(`/graphql`,window.location.href);return e.protocol=e.protocol===`https:`?`wss:`:`ws:`,e.toString()}function Jt(e){let t=e.context.fetchOptions,n=(typeof t==`function`?t():t)?.headers;return!!n&&Object.keys(n).some(e=>e.toLowerCase()===`authorization`)}function Yt(){let e=n({url:qt(),lazy:!0,lazyCloseTimeout:3e3,retryAttempts:1/0,shouldRetry:()=>!0,retryWait:async e=>{let t=e===0?50:Math.min(1e4,500*2**e)+Math.random()*500;await new Promise(e=>setTimeout(e,t))},connectionParams:async()=>{let e=await Ht();return e?{authorization:`Bearer ${e}`}:{}},on:{connected:(e,t,n)=>{Kt.connects+=1,n&&(Kt.reconnects+=1)},closed:e=>{Kt.lastCloseCode=e?.code??0}}});return{client:new mt({url:`/graphql`,requestPolicy:`network-only`,preferGetMethod:!1,exchanges:[Et(async e=>({addAuthToOperation(t){let n=Rt()?.accessToken;return n?e.appendHeaders(t,{Authorization:`Bearer ${n}`}):t},willAuthError:()=>Vt(),didAuthError:(e,t)=>Jt(t)&&(e.response?.status===401||e.graphQLErrors.some(e=>e.extensions?.code===`UNAUTHENTICATED`)),refreshAuth:async()=>{await Ut(!Vt()).catch(()=>void 0)}})),dt,ut({forwardSubscription(t){let n={...t,query:t.query??``};return{subscribe(t){return{unsubscribe:e.subscribe(n,t)}}}}})]}),ws:e,dispose:()=>void e.dispose()}}function Xt(e){return(t,n)=>new Promise((r,i)=>{let a=new XMLHttpRequest;a.open(n?.method??`POST`,typeof t==`string`?t:t.toString()),new Headers(n?.headers).forEach((e,t)=>a.setRequestHeader(t,e)),a.responseType=`text`,a.upload.onprogress=t=>e(t.loaded,t.lengthComputable?t.total:0),a.onload=()=>{let e=new Headers;for(let t of a.getAllResponseHeaders().trim().split(/[\r\n]+/)){let n=t.indexOf(`:`);n>0&&e.append(t.slice(0,n).trim(),t.slice(n+1).trim())}r(new Response(a.responseText,{status:a.status,statusText:a.statusText,headers:e}))},a.onerror=()=>i(TypeError(`Network request failed`)),a.onabort=()=>i(new DOMException(`Aborted`,`AbortError`)),n?.signal?.addEventListener(`abort`,()=>a.abort()),a.send(n?.body)})}var Y=i(),Zt=`soundroom:navigate`;function X(e,t=!1){t?history.replaceState(null,``,e):history.pushState(null,``,e),window.dispatchEvent(new Event(Zt))}function Qt(){let[e,t]=(0,a.useState)(()=>window.location.pathname);return(0,a.useEffect)(()=>{let e=()=>t(window.location.pathname);return window.addEventListener(Zt,e),window.addEventListener(`popstate`,e),()=>{window.removeEventListener(Zt,e),window.removeEventListener(`popstate`,e)}},[]),e}function Z({href:e,onClick:t,...n}){return(0,Y.jsx)(`a`,{href:e,onClick:n=>{t?.(n),n.defaultPrevented||n.button!==0||n.metaKey||n.ctrlKey||n.shiftKey||n.altKey||(n.preventDefault(),X(e))},...n})}var $t=H`
  fragment UserBits on User {
    id
    username
    tag
  }
`,en=H`
  fragment TrackBits on Track {
    id
    name
    durationMs
    streamUrl
    isFavorite
    artist {
      id
      name
    }
  }
`,tn=H`
  fragment PlaybackBits on PlaybackState {
    track {
      ...TrackBits
    }
    isPlaying
    positionMs
    anchorTimeMs
    version
    waitingFor {
      ...UserBits
    }
  }
  ${en}
  ${$t}
`,nn=H`
  fragment MemberBits on RoomMember {
    user {
      ...UserBits
    }
    role
    isConnected
  }
  ${$t}
`,rn=H`
  fragment QueueBits on QueueItem {
    id
    track {
      ...TrackBits
    }
    addedBy {
      ...UserBits
    }
  }
  ${en}
  ${$t}
`,an=H`
  fragment RoomBits on Room {
    id
    name
    visibility
    controlMode
    viewerRole
    viewerCanControl
    memberCount
    connectedCount
    host {
      ...UserBits
    }
  }
  ${$t}
`,on=H`
  fragment MessageBits on ChatMessage {
    id
    body
    deleted
    createdAt
    author {
      ...UserBits
    }
  }
  ${$t}
`,sn=H`
  fragment AuthBits on AuthPayload {
    accessToken
    refreshToken
    expiresIn
    user {
      ...UserBits
    }
  }
  ${$t}
`,cn=H`
  mutation Login($input: LoginInput!) {
    login(input: $input) {
      __typename
      ... on AuthPayload {
        ...AuthBits
      }
      ... on TwoFactorChallenge {
        challengeToken
      }
    }
  }
  ${sn}
`,ln=H`
  mutation Register($input: RegisterInput!) {
    register(input: $input) {
      ...AuthBits
    }
  }
  ${sn}
`,un=H`
  mutation VerifyTwoFactor($challengeToken: String!, $code: String!) {
    verifyTwoFactor(challengeToken: $challengeToken, code: $code) {
      ...AuthBits
    }
  }
  ${sn}
`,dn=H`
  query Rooms {
    rooms(first: 50) {
      nodes {
        ...RoomBits
      }
    }
  }
  ${an}
`,fn=H`
  mutation CreateRoom($input: CreateRoomInput!) {
    createRoom(input: $input) {
      id
    }
  }
`,pn=H`
  query Room($id: UUID!) {
    room(id: $id) {
      ...RoomBits
    }
  }
  ${an}
`,mn=H`
  mutation JoinRoom($roomId: UUID!) {
    joinRoom(roomId: $roomId) {
      ...RoomBits
    }
  }
  ${an}
`,hn=H`
  mutation LeaveRoom($roomId: UUID!) {
    leaveRoom(roomId: $roomId)
  }
`,gn=H`
  subscription RoomEvents($roomId: UUID!) {
    roomEvents(roomId: $roomId) {
      __typename
      ... on RoomSnapshot {
        room {
          ...RoomBits
        }
        playback {
          ...PlaybackBits
        }
        queue {
          ...QueueBits
        }
        members {
          ...MemberBits
        }
        typing {
          ...UserBits
        }
      }
      ... on MemberJoined {
        member {
          ...MemberBits
        }
      }
      ... on MemberLeft {
        user {
          ...UserBits
        }
        kicked
      }
      ... on PresenceChanged {
        user {
          ...UserBits
        }
        isConnected
      }
      ... on PlaybackChanged {
        playback {
          ...PlaybackBits
        }
      }
      ... on QueueChanged {
        queue {
          ...QueueBits
        }
      }
      ... on ChatMessagePosted {
        message {
          ...MessageBits
        }
      }
      ... on ChatMessageEdited {
        message {
          ...MessageBits
        }
      }
      ... on ChatMessageDeleted {
        message {
          ...MessageBits
        }
      }
      ... on TypingChanged {
        user {
          ...UserBits
        }
        isTyping
      }
      ... on HostChanged {
        host {
          ...UserBits
        }
      }
      ... on MemberRoleChanged {
        member {
          ...MemberBits
        }
      }
      ... on RoomUpdated {
        room {
          ...RoomBits
        }
      }
      ... on RoomClosed {
        roomId
      }
    }
  }
  ${an}
  ${tn}
  ${rn}
  ${nn}
  ${on}
`,_n=H`
  query RoomMessages($roomId: UUID!) {
    roomMessages(roomId: $roomId, last: 50) {
      nodes {
        ...MessageBits
      }
    }
  }
  ${on}
`,vn=H`
  mutation RoomPlay($roomId: UUID!, $trackId: UUID) {
    roomPlay(roomId: $roomId, trackId: $trackId) {
      version
    }
  }
`,yn=H`
  mutation RoomPause($roomId: UUID!) {
    roomPause(roomId: $roomId) {
      version
    }
  }
`,bn=H`
  mutation RoomSeek($roomId: UUID!, $positionMs: Int!) {
    roomSeek(roomId: $roomId, positionMs: $positionMs) {
      version
    }
  }
`,xn=H`
  mutation RoomSkip($roomId: UUID!) {
    roomSkip(roomId: $roomId) {
      version
    }
  }
`,Sn=H`
  mutation Enqueue($roomId: UUID!, $trackId: UUID!) {
    enqueueTrack(roomId: $roomId, trackId: $trackId) {
      id
    }
  }
`,Cn=H`
  mutation RemoveQueueItem($roomId: UUID!, $itemId: UUID!) {
    removeQueueItem(roomId: $roomId, itemId: $itemId) {
      id
    }
  }
`,wn=H`
  mutation SendRoomMessage($roomId: UUID!, $body: String!) {
    sendRoomMessage(roomId: $roomId, body: $body) {
      id
    }
  }
`,Tn=H`
  mutation SetTyping($roomId: UUID!, $isTyping: Boolean!) {
    setTyping(roomId: $roomId, isTyping: $isTyping)
  }
`,En=H`
  mutation ReportLatency($roomId: UUID!, $rttMs: Int!) {
    reportLatency(roomId: $roomId, rttMs: $rttMs)
  }
`,Dn=H`
  mutation ReportPlaybackStatus($roomId: UUID!, $trackId: UUID!, $status: MemberPlaybackStatus!) {
    reportPlaybackStatus(roomId: $roomId, trackId: $trackId, status: $status) {
      version
    }
  }
`,On=H`
  query SearchTracks($search: String, $first: Int) {
    tracks(search: $search, first: $first) {
      nodes {
        ...TrackBits
      }
      totalCount
    }
  }
  ${en}
`,kn=H`
  mutation VerifyEmail($token: String!) {
    verifyEmail(token: $token) {
      id
      email
      emailVerified
    }
  }
`,An=H`
  mutation ConfirmEmailChange($token: String!) {
    confirmEmailChange(token: $token) {
      id
      email
      emailVerified
    }
  }
`,jn=H`
  mutation RequestPasswordReset($email: String!) {
    requestPasswordReset(email: $email)
  }
`,Mn=H`
  mutation ResetPassword($token: String!, $newPassword: String!, $code: String) {
    resetPassword(token: $token, newPassword: $newPassword, code: $code) {
      ...AuthBits
    }
  }
  ${sn}
`,Nn=H`
  query Account {
    me {
      id
      email
      emailVerified
    }
  }
`,Pn=H`
  mutation ResendVerification {
    resendVerificationEmail
  }
`,Fn=H`
  mutation ChangePassword($currentPassword: String!, $newPassword: String!) {
    changePassword(currentPassword: $currentPassword, newPassword: $newPassword)
  }
`,In=H`
  mutation ChangeEmail($newEmail: String!, $password: String!) {
    changeEmail(newEmail: $newEmail, password: $password)
  }
`;function Q(e){if(!e)return`Something went wrong.`;let t=e.graphQLErrors[0];return t?t.message:e.networkError?`The server could not be reached. Try again.`:e.message.replace(/^\[\w+\]\s*/,``)}function Ln(e){let t=e?.graphQLErrors[0]?.extensions?.code;return typeof t==`string`?t:void 0}function $(e){let t=Math.max(0,Math.floor(e/1e3));return`${Math.floor(t/60)}:${String(t%60).padStart(2,`0`)}`}function Rn(e){let t=e?.graphQLErrors[0]?.extensions?.field;return typeof t==`string`?t:void 0}var zn=null;function Bn(){let e=window.location.pathname;if(!window.location.hash&&zn?.path===e)return zn.token;let t=new URLSearchParams(window.location.hash.replace(/^#/,``)).get(`token`),n=t&&t.trim()?t.trim():null;return zn={path:e,token:n},window.location.hash&&history.replaceState(null,``,e),n}function Vn(){let[{data:e,error:t}]=K({query:Nn}),n=e?.me;return(0,Y.jsxs)(`section`,{className:`narrow`,children:[(0,Y.jsx)(`h1`,{children:`Account`}),t&&(0,Y.jsx)(`p`,{role:`alert`,children:Q(t)}),n&&(0,Y.jsx)(Hn,{email:n.email,verified:n.emailVerified}),(0,Y.jsx)(Un,{}),(0,Y.jsx)(Wn,{})]})}function Hn({email:e,verified:t}){let[n,r]=G(Pn),[i,o]=(0,a.useState)(null);return e?(0,Y.jsxs)(`p`,{children:[`Email: `,(0,Y.jsx)(`strong`,{children:e}),` `,t?`(verified)`:`(not verified)`,` `,!t&&(0,Y.jsx)(`button`,{type:`button`,disabled:n.fetching,onClick:()=>{r({}).then(e=>o(e.error?Q(e.error):`A new verification link is on its way.`))},children:`Send verification link`}),i&&(0,Y.jsxs)(`span`,{role:`status`,children:[` `,i]})]}):(0,Y.jsx)(`p`,{children:`This account has no email address.`})}function Un(){let[e,t]=(0,a.useState)(``),[n,r]=(0,a.useState)(``),[i,o]=G(Fn),[s,c]=(0,a.useState)(null);return(0,Y.jsxs)(`form`,{onSubmit:async i=>{i.preventDefault();let a=await o({currentPassword:e,newPassword:n});a.data?.changePassword?(t(``),r(``),c({ok:!0,text:`Password changed. Your other sessions were signed out.`})):c({ok:!1,text:Q(a.error)})},"aria-label":`Change password`,children:[(0,Y.jsx)(`h2`,{children:`Change password`}),(0,Y.jsxs)(`label`,{children:[`Current password`,(0,Y.jsx)(`input`,{type:`password`,autoComplete:`current-password`,required:!0,value:e,onChange:e=>t(e.target.value)})]}),(0,Y.jsxs)(`label`,{children:[`New password`,(0,Y.jsx)(`input`,{type:`password`,autoComplete:`new-password`,required:!0,minLength:8,value:n,onChange:e=>r(e.target.value)})]}),s&&(0,Y.jsx)(`p`,{role:s.ok?`status`:`alert`,children:s.text}),(0,Y.jsx)(`button`,{type:`submit`,disabled:i.fetching,children:`Change password`})]})}function Wn(){let[e,t]=(0,a.useState)(``),[n,r]=(0,a.useState)(``),[i,o]=G(In),[s,c]=(0,a.useState)(null);return(0,Y.jsxs)(`form`,{onSubmit:async t=>{t.preventDefault();let i=await o({newEmail:e.trim(),password:n});i.data?.changeEmail?(r(``),c({ok:!0,text:`A confirmation link was mailed to ${e.trim()}.`})):c({ok:!1,text:Q(i.error)})},"aria-label":`Change email`,children:[(0,Y.jsx)(`h2`,{children:`Change email`}),(0,Y.jsxs)(`label`,{children:[`New email`,(0,Y.jsx)(`input`,{type:`email`,autoComplete:`email`,required:!0,value:e,onChange:e=>t(e.target.value)})]}),(0,Y.jsxs)(`label`,{children:[`Password`,(0,Y.jsx)(`input`,{type:`password`,autoComplete:`current-password`,required:!0,value:n,onChange:e=>r(e.target.value)})]}),s&&(0,Y.jsx)(`p`,{role:s.ok?`status`:`alert`,children:s.text}),(0,Y.jsx)(`button`,{type:`submit`,disabled:i.fetching,children:`Change email`})]})}var Gn=`query Me { me { id username tag } }`;function Kn(){let[e,t]=(0,a.useState)(null),n=(0,a.useRef)(!1);return(0,a.useEffect)(()=>{if(n.current)return;n.current=!0;let e=new URLSearchParams(window.location.hash.replace(/^#/,``));history.replaceState(null,``,`/auth/callback`);let r=e.get(`accessToken`),i=e.get(`refreshToken`),a=Number(e.get(`expiresIn`));!r||!i||!Number.isFinite(a)||a<=0?t(e.get(`error`)??`The sign-in did not complete.`):fetch(`/graphql`,{method:`POST`,headers:{"content-type":`application/json`,authorization:`Bearer ${r}`},body:JSON.stringify({query:Gn})}).then(e=>e.json()).then(e=>{let t=e.data?.me;if(!t)throw Error(`no user`);Bt({accessToken:r,refreshToken:i,expiresIn:a,user:t}),X(`/`,!0)}).catch(()=>t(`The sign-in did not complete.`))},[]),(0,Y.jsx)(`main`,{children:(0,Y.jsxs)(`section`,{className:`narrow`,children:[(0,Y.jsx)(`h1`,{children:`Signing in…`}),e&&(0,Y.jsxs)(Y.Fragment,{children:[(0,Y.jsxs)(`p`,{role:`alert`,children:[`Google sign-in failed: `,e]}),(0,Y.jsx)(`p`,{children:(0,Y.jsx)(`a`,{href:`/`,children:`Back to Soundroom`})})]})]})})}function qn({kind:e}){let[,t]=G(kn),[,n]=G(An),[r,i]=(0,a.useState)(null),o=(0,a.useRef)(!1);return(0,a.useEffect)(()=>{if(o.current)return;o.current=!0;let r=Bn();r?(e===`verify`?t({token:r}):n({token:r})).then(t=>{let n=e===`verify`?t.data?.verifyEmail:t.data?.confirmEmailChange;i(n?{ok:!0,email:n.email??``}:{ok:!1,message:Q(t.error)})}):i({ok:!1,message:`This link has no token. Open the link from the mail again.`})},[e,t,n]),(0,Y.jsxs)(`section`,{className:`narrow`,children:[(0,Y.jsx)(`h1`,{children:e===`verify`?`Verify your email`:`Confirm your new email`}),!r&&(0,Y.jsx)(`p`,{children:`Checking the link…`}),r?.ok&&(0,Y.jsxs)(`p`,{role:`status`,children:[e===`verify`?`Your email address is verified`:`Your email address is now`,r.email?(0,Y.jsxs)(Y.Fragment,{children:[e===`verify`?`: `:` `,(0,Y.jsx)(`strong`,{children:r.email})]}):null,`.`]}),r&&!r.ok&&(0,Y.jsx)(`p`,{role:`alert`,children:r.message}),r&&(0,Y.jsx)(`p`,{children:(0,Y.jsx)(Z,{href:`/`,children:`Go to Soundroom`})})]})}var Jn=H`
  query Friends {
    friends(first: 100) {
      nodes {
        id
        username
        tag
        isOnline
      }
    }
    incoming: friendRequests(direction: INCOMING) {
      id
      requester {
        id
        username
        tag
      }
    }
    outgoing: friendRequests(direction: OUTGOING) {
      id
      receiver {
        id
        username
        tag
      }
    }
  }
`,Yn=H`
  query SearchUsers($query: String!) {
    searchUsers(query: $query, first: 20) {
      id
      username
      tag
      friendship
    }
  }
`,Xn=H`
  subscription UserEvents {
    userEvents {
      __typename
    }
  }
`,Zn=H`
  mutation SendFriendRequest($userId: UUID!) {
    sendFriendRequest(userId: $userId) {
      id
    }
  }
`,Qn=H`
  mutation AcceptFriendRequest($requestId: UUID!) {
    acceptFriendRequest(requestId: $requestId) {
      id
    }
  }
`,$n=H`
  mutation DeclineFriendRequest($requestId: UUID!) {
    declineFriendRequest(requestId: $requestId)
  }
`,er=H`
  mutation CancelFriendRequest($requestId: UUID!) {
    cancelFriendRequest(requestId: $requestId)
  }
`,tr=H`
  mutation RemoveFriend($userId: UUID!) {
    removeFriend(userId: $userId)
  }
`,nr={FRIENDS:`friends`,REQUEST_SENT:`request sent`,REQUEST_RECEIVED:`wants to be friends`,SELF:`you`};function rr(){let e=U(),[{data:t,error:n},r]=K({query:Jn}),[i,o]=(0,a.useState)(``),[s,c]=(0,a.useState)(null),[l,u]=(0,a.useState)(null),[,d]=G(Zn),[,f]=G(Qn),[,p]=G($n),[,m]=G(er),[,h]=G(tr),g=()=>r({requestPolicy:`network-only`});(0,a.useEffect)(()=>{let t=e.subscription(Xn,{}).subscribe(e=>{e.data&&r({requestPolicy:`network-only`})});return()=>t.unsubscribe()},[e,r]);let _=async e=>{u(null);let t=await e;t.error&&u(Q(t.error)),g(),s&&v()},v=async t=>{if(t?.preventDefault(),!i.trim())return;let n=await e.query(Yn,{query:i.trim()}).toPromise();if(n.error)return u(Q(n.error));c(n.data?.searchUsers??[])};return(0,Y.jsxs)(Y.Fragment,{children:[(0,Y.jsx)(`h1`,{children:`Friends`}),n&&(0,Y.jsx)(`p`,{role:`alert`,children:Q(n)}),l&&(0,Y.jsx)(`p`,{role:`alert`,children:l}),(0,Y.jsxs)(`section`,{"aria-labelledby":`find-h`,children:[(0,Y.jsx)(`h2`,{id:`find-h`,children:`Find people`}),(0,Y.jsxs)(`form`,{role:`search`,onSubmit:v,children:[(0,Y.jsxs)(`label`,{children:[`Username or tag`,(0,Y.jsx)(`input`,{type:`search`,value:i,onChange:e=>o(e.target.value)})]}),` `,(0,Y.jsx)(`button`,{type:`submit`,children:`Search`})]}),s&&(0,Y.jsxs)(`ul`,{"aria-label":`People found`,children:[s.length===0&&(0,Y.jsx)(`li`,{children:`Nobody found.`}),s.map(e=>(0,Y.jsxs)(`li`,{children:[e.username,` `,(0,Y.jsxs)(`span`,{className:`muted`,children:[`(`,e.tag,`)`]}),` `,e.friendship===`NONE`?(0,Y.jsx)(`button`,{type:`button`,"aria-label":`Add ${e.tag} as a friend`,onClick:()=>void _(d({userId:e.id})),children:`Add friend`}):(0,Y.jsx)(`span`,{className:`muted`,children:nr[e.friendship??``]??``})]},e.id))]})]}),(0,Y.jsxs)(`section`,{"aria-labelledby":`requests-h`,children:[(0,Y.jsx)(`h2`,{id:`requests-h`,children:`Friend requests`}),(0,Y.jsxs)(`ul`,{"aria-label":`Incoming friend requests`,children:[t?.incoming.length===0&&(0,Y.jsx)(`li`,{className:`muted`,children:`No requests for you.`}),t?.incoming.map(e=>(0,Y.jsxs)(`li`,{children:[e.requester?.username,` `,(0,Y.jsxs)(`span`,{className:`muted`,children:[`(`,e.requester?.tag,`)`]}),` `,(0,Y.jsx)(`button`,{type:`button`,"aria-label":`Accept ${e.requester?.tag}`,onClick:()=>void _(f({requestId:e.id})),children:`Accept`}),` `,(0,Y.jsx)(`button`,{type:`button`,"aria-label":`Decline ${e.requester?.tag}`,onClick:()=>void _(p({requestId:e.id})),children:`Decline`})]},e.id))]}),(0,Y.jsx)(`ul`,{"aria-label":`Sent friend requests`,children:t?.outgoing.map(e=>(0,Y.jsxs)(`li`,{children:[`To `,e.receiver?.username,` `,(0,Y.jsxs)(`span`,{className:`muted`,children:[`(`,e.receiver?.tag,`)`]}),` `,(0,Y.jsx)(`button`,{type:`button`,"aria-label":`Withdraw the request to ${e.receiver?.tag}`,onClick:()=>void _(m({requestId:e.id})),children:`Withdraw`})]},e.id))})]}),(0,Y.jsxs)(`section`,{"aria-labelledby":`friends-h`,children:[(0,Y.jsx)(`h2`,{id:`friends-h`,children:`Your friends`}),t?.friends.nodes.length===0&&(0,Y.jsx)(`p`,{className:`muted`,children:`No friends yet: find people above.`}),(0,Y.jsx)(`ul`,{"aria-label":`Friends`,children:t?.friends.nodes.map(e=>(0,Y.jsxs)(`li`,{children:[e.username,` `,(0,Y.jsxs)(`span`,{className:`muted`,children:[`(`,e.tag,`)`]}),` · `,e.isOnline?`online`:`offline`,` `,(0,Y.jsx)(`button`,{type:`button`,"aria-label":`Remove ${e.tag} from friends`,onClick:()=>void _(h({userId:e.id})),children:`Remove`})]},e.id))})]})]})}var ir=H`
  query MyPlaylists {
    myPlaylists(first: 50) {
      nodes {
        id
        name
        isPublic
        trackCount
      }
    }
  }
`,ar=H`
  query PlaylistTracks($id: UUID!) {
    playlist(id: $id) {
      id
      tracks(first: 100) {
        nodes {
          ...TrackBits
        }
      }
    }
  }
  ${en}
`,or=H`
  mutation CreatePlaylist($input: CreatePlaylistInput!) {
    createPlaylist(input: $input) {
      id
    }
  }
`,sr=H`
  mutation RemoveFromPlaylist($playlistId: UUID!, $trackId: UUID!) {
    removeTrackFromPlaylist(playlistId: $playlistId, trackId: $trackId) {
      id
      trackCount
    }
  }
`,cr=H`
  mutation DeletePlaylist($id: UUID!) {
    deletePlaylist(id: $id)
  }
`,lr=H`
  query Favorites {
    favorites(first: 100) {
      nodes {
        ...TrackBits
      }
    }
  }
  ${en}
`,ur=H`
  mutation Unfavorite($trackId: UUID!) {
    removeFavorite(trackId: $trackId) {
      id
    }
  }
`;function dr(){let[{data:e,error:t},n]=K({query:ir});return{items:e?.myPlaylists.nodes??[],refetch:()=>n({requestPolicy:`network-only`}),error:t?Q(t):void 0}}function fr(){let[{data:e,error:t},n]=K({query:lr});return{items:e?.favorites.nodes??[],refetch:()=>n({requestPolicy:`network-only`}),error:t?Q(t):void 0}}function pr({playlist:e,onChange:t}){let[{data:n,error:r},i]=K({query:ar,variables:{id:e.id}}),[,a]=G(sr);if(r)return(0,Y.jsx)(`p`,{role:`alert`,children:Q(r)});let o=n?.playlist?.tracks.nodes??[];return n&&o.length===0?(0,Y.jsx)(`p`,{className:`muted`,children:`No tracks yet: add some from the catalog.`}):(0,Y.jsx)(`ol`,{"aria-label":`Tracks of ${e.name}`,children:o.map(n=>(0,Y.jsxs)(`li`,{children:[n.name,` `,(0,Y.jsxs)(`span`,{className:`muted`,children:[`by `,n.artist.name]}),` · `,$(n.durationMs),` `,(0,Y.jsx)(`button`,{type:`button`,"aria-label":`Remove ${n.name} from ${e.name}`,onClick:async()=>{await a({playlistId:e.id,trackId:n.id}),i({requestPolicy:`network-only`}),t()},children:`Remove`})]},n.id))})}function mr({playlists:e,favorites:t,onChange:n}){let[r,i]=(0,a.useState)(``),[o,s]=(0,a.useState)(!1),[c,l]=(0,a.useState)(null),[,u]=G(or),[,d]=G(cr),[,f]=G(ur);return(0,Y.jsxs)(Y.Fragment,{children:[(0,Y.jsxs)(`section`,{"aria-labelledby":`playlists-h`,children:[(0,Y.jsx)(`h2`,{id:`playlists-h`,children:`Playlists`}),e.error&&(0,Y.jsx)(`p`,{role:`alert`,children:e.error}),e.items.length===0&&(0,Y.jsx)(`p`,{className:`muted`,children:`You have no playlists yet.`}),(0,Y.jsx)(`ul`,{"aria-label":`Playlists`,children:e.items.map(e=>(0,Y.jsx)(`li`,{children:(0,Y.jsxs)(`details`,{children:[(0,Y.jsxs)(`summary`,{children:[e.name,` `,(0,Y.jsxs)(`span`,{className:`muted`,children:[`· `,e.trackCount,` tracks · `,e.isPublic?`public`:`private`]})]}),(0,Y.jsx)(pr,{playlist:e,onChange:n},`${e.id}:${e.trackCount}`),(0,Y.jsx)(`button`,{type:`button`,"aria-label":`Delete playlist ${e.name}`,onClick:async()=>{await d({id:e.id}),n()},children:`Delete playlist`})]})},e.id))}),(0,Y.jsxs)(`form`,{onSubmit:async e=>{e.preventDefault(),l(null);let t=await u({input:{name:r.trim(),isPublic:o}});if(t.error)return l(Q(t.error));i(``),n()},children:[(0,Y.jsxs)(`label`,{children:[`Playlist name`,(0,Y.jsx)(`input`,{required:!0,value:r,onChange:e=>i(e.target.value)})]}),` `,(0,Y.jsxs)(`label`,{className:`inline`,children:[(0,Y.jsx)(`input`,{type:`checkbox`,checked:o,onChange:e=>s(e.target.checked)}),` Public`]}),` `,(0,Y.jsx)(`button`,{type:`submit`,children:`Create playlist`})]}),c&&(0,Y.jsx)(`p`,{role:`alert`,children:c})]}),(0,Y.jsxs)(`section`,{"aria-labelledby":`favorites-h`,children:[(0,Y.jsx)(`h2`,{id:`favorites-h`,children:`Favorites`}),t.error&&(0,Y.jsx)(`p`,{role:`alert`,children:t.error}),t.items.length===0&&(0,Y.jsx)(`p`,{className:`muted`,children:`No favorites yet.`}),(0,Y.jsx)(`ul`,{"aria-label":`Favorites`,children:t.items.map(e=>(0,Y.jsxs)(`li`,{children:[e.name,` `,(0,Y.jsxs)(`span`,{className:`muted`,children:[`by `,e.artist.name]}),` `,(0,Y.jsx)(`button`,{type:`button`,"aria-label":`Remove ${e.name} from favorites`,onClick:async()=>{await f({trackId:e.id}),n()},children:`Remove`})]},e.id))})]})]})}var hr=H`
  query FindArtist($search: String!) {
    artists(search: $search, first: 20) {
      nodes {
        id
        name
      }
    }
  }
`,gr=H`
  mutation CreateArtist($input: CreateArtistInput!) {
    createArtist(input: $input) {
      id
    }
  }
`,_r=H`
  mutation UploadTrack($input: UploadTrackInput!, $file: Upload!) {
    uploadTrack(input: $input, file: $file) {
      ...TrackBits
    }
  }
  ${en}
`,vr=H`
  mutation AddFavorite($trackId: UUID!) {
    addFavorite(trackId: $trackId) {
      id
      isFavorite
    }
  }
`,yr=H`
  mutation RemoveFavorite($trackId: UUID!) {
    removeFavorite(trackId: $trackId) {
      id
      isFavorite
    }
  }
`,br=H`
  mutation AddToPlaylist($playlistId: UUID!, $trackId: UUID!) {
    addTrackToPlaylist(playlistId: $playlistId, trackId: $trackId) {
      id
      trackCount
    }
  }
`;function xr({onUploaded:e}){let t=U(),[n,r]=(0,a.useState)(null),[i,o]=(0,a.useState)(``),[s,c]=(0,a.useState)(``),[l,u]=(0,a.useState)(``),[d,f]=(0,a.useState)(null),[p,m]=(0,a.useState)(null),[h,g]=(0,a.useState)(null);return(0,Y.jsxs)(`section`,{"aria-labelledby":`upload-h`,children:[(0,Y.jsx)(`h2`,{id:`upload-h`,children:`Upload a track`}),(0,Y.jsxs)(`form`,{onSubmit:async a=>{if(a.preventDefault(),!n)return;g(null),m(null);let c=s.trim(),u=await t.query(hr,{search:c}).toPromise();if(u.error)return g(Q(u.error));let d=(u.data?.artists.nodes??[]).find(e=>e.name.toLowerCase()===c.toLowerCase())?.id;if(!d){let e=await t.mutation(gr,{input:{name:c}}).toPromise();if(!e.data?.createArtist)return g(Q(e.error));d=e.data.createArtist.id}f(0);let p={artistId:d,name:i.trim()||null,genre:l.trim()||null},h=await t.mutation(_r,{input:p,file:n},{fetch:Xt((e,t)=>f(t?e/t:0))}).toPromise();if(f(null),!h.data?.uploadTrack)return g(Q(h.error));let _=h.data.uploadTrack;m(`Uploaded “${_.name}” (${$(_.durationMs)}).`),r(null),o(``),a.target.reset(),e()},children:[(0,Y.jsxs)(`label`,{children:[`Audio file`,(0,Y.jsx)(`input`,{type:`file`,accept:`audio/*`,required:!0,onChange:e=>r(e.target.files?.[0]??null)})]}),(0,Y.jsxs)(`label`,{children:[`Title `,(0,Y.jsx)(`span`,{className:`muted`,children:`(optional: the file's title tag otherwise)`}),(0,Y.jsx)(`input`,{value:i,onChange:e=>o(e.target.value)})]}),(0,Y.jsxs)(`label`,{children:[`Artist`,(0,Y.jsx)(`input`,{required:!0,value:s,onChange:e=>c(e.target.value)})]}),(0,Y.jsxs)(`label`,{children:[`Genre `,(0,Y.jsx)(`span`,{className:`muted`,children:`(optional)`}),(0,Y.jsx)(`input`,{value:l,onChange:e=>u(e.target.value)})]}),(0,Y.jsx)(`button`,{type:`submit`,disabled:!n||d!==null,children:`Upload`}),` `,d!==null&&(0,Y.jsxs)(`progress`,{"aria-label":`Upload progress`,max:1,value:d,children:[Math.round(d*100),` %`]})]}),p&&(0,Y.jsx)(`p`,{role:`status`,children:p}),h&&(0,Y.jsx)(`p`,{role:`alert`,children:h})]})}function Sr({track:e,playlists:t,onChange:n}){let[,r]=G(vr),[,i]=G(yr),[,o]=G(br),[s,c]=(0,a.useState)(null);return(0,Y.jsxs)(`li`,{children:[e.name,` `,(0,Y.jsxs)(`span`,{className:`muted`,children:[`by `,e.artist.name]}),` · `,$(e.durationMs),` `,(0,Y.jsx)(`button`,{type:`button`,"aria-pressed":e.isFavorite,"aria-label":`Favorite ${e.name}`,onClick:async()=>{let t=await(e.isFavorite?i:r)({trackId:e.id});c(t.error?Q(t.error):null),n()},children:e.isFavorite?`★ Favorite`:`☆ Favorite`}),` `,t.length>0&&(0,Y.jsxs)(`label`,{children:[`Add `,e.name,` to a playlist`,(0,Y.jsxs)(`select`,{value:``,onChange:async t=>{let r=t.target.value;if(!r)return;let i=await o({playlistId:r,trackId:e.id});c(i.error?Q(i.error):`Added.`),n()},children:[(0,Y.jsx)(`option`,{value:``,children:`Choose…`}),t.map(e=>(0,Y.jsx)(`option`,{value:e.id,children:e.name},e.id))]})]}),s&&(0,Y.jsxs)(`span`,{role:`status`,children:[` `,s]})]})}function Cr(){let[e,t]=(0,a.useState)(``),[n,r]=(0,a.useState)(null),[i,o]=K({query:On,variables:{search:n,first:50}}),s=dr(),c=fr(),l=()=>{o({requestPolicy:`network-only`}),s.refetch(),c.refetch()};return(0,Y.jsxs)(Y.Fragment,{children:[(0,Y.jsx)(`h1`,{children:`Library`}),(0,Y.jsx)(xr,{onUploaded:l}),(0,Y.jsxs)(`section`,{"aria-labelledby":`catalog-h`,children:[(0,Y.jsx)(`h2`,{id:`catalog-h`,children:`Catalog`}),(0,Y.jsxs)(`form`,{role:`search`,onSubmit:t=>{t.preventDefault(),r(e.trim()||null)},children:[(0,Y.jsxs)(`label`,{children:[`Search tracks`,(0,Y.jsx)(`input`,{type:`search`,value:e,onChange:e=>t(e.target.value)})]}),` `,(0,Y.jsx)(`button`,{type:`submit`,children:`Search`})]}),i.error&&(0,Y.jsx)(`p`,{role:`alert`,children:Q(i.error)}),i.data&&(0,Y.jsxs)(Y.Fragment,{children:[(0,Y.jsxs)(`p`,{className:`muted`,children:[i.data.tracks.totalCount,` tracks`]}),(0,Y.jsx)(`ul`,{"aria-label":`Tracks`,children:i.data.tracks.nodes.map(e=>(0,Y.jsx)(Sr,{track:e,playlists:s.items,onChange:l},e.id))})]})]}),(0,Y.jsx)(mr,{playlists:s,favorites:c,onChange:l})]})}function wr(){let[e]=(0,a.useState)(Bn),[t,n]=(0,a.useState)(``),[r,i]=(0,a.useState)(``),[o,s]=(0,a.useState)(!1),[c,l]=(0,a.useState)(null),[u,d]=G(Mn);return e?(0,Y.jsxs)(`section`,{className:`narrow`,children:[(0,Y.jsx)(`h1`,{children:`Choose a new password`}),(0,Y.jsxs)(`form`,{onSubmit:async n=>{n.preventDefault(),l(null);let i=await d({token:e,newPassword:t,code:o?r.trim():null}),a=i.data?.resetPassword;a?(Bt(a),X(`/`,!0)):(Rn(i.error)===`code`&&s(!0),l(Q(i.error)))},children:[(0,Y.jsxs)(`label`,{children:[`New password`,(0,Y.jsx)(`input`,{type:`password`,name:`new-password`,autoComplete:`new-password`,required:!0,minLength:8,autoFocus:!0,value:t,onChange:e=>n(e.target.value)})]}),o&&(0,Y.jsxs)(`label`,{children:[`Authentication code`,(0,Y.jsx)(`input`,{name:`code`,autoComplete:`one-time-code`,inputMode:`numeric`,required:!0,value:r,onChange:e=>i(e.target.value)})]}),c&&(0,Y.jsx)(`p`,{role:`alert`,children:c}),(0,Y.jsx)(`button`,{type:`submit`,disabled:u.fetching,children:`Set password`})]})]}):(0,Y.jsxs)(`section`,{className:`narrow`,children:[(0,Y.jsx)(`h1`,{children:`Choose a new password`}),(0,Y.jsx)(`p`,{role:`alert`,children:`This link has no token. Open the link from the mail again, or ask for a new one.`})]})}var Tr=2e3;function Er(e){return e.length===0?``:e.length===1?`${e[0].username} is typing…`:e.length===2?`${e[0].username} and ${e[1].username} are typing…`:`${e.length} people are typing…`}function Dr({roomId:e,messages:t,typing:n}){let[r,i]=(0,a.useState)(``),[o,s]=(0,a.useState)(null),[c,l]=G(wn),[,u]=G(Tn),d=(0,a.useRef)(0),f=(0,a.useRef)(null);(0,a.useEffect)(()=>{let e=f.current;e&&(e.scrollTop=e.scrollHeight)},[t.length]);let p=t=>{i(t);let n=Date.now();t.trim()&&n-d.current>Tr?(d.current=n,u({roomId:e,isTyping:!0})):!t.trim()&&d.current&&(d.current=0,u({roomId:e,isTyping:!1}))};return(0,Y.jsxs)(`section`,{"aria-labelledby":`chat-h`,children:[(0,Y.jsx)(`h2`,{id:`chat-h`,children:`Chat`}),(0,Y.jsxs)(`div`,{role:`log`,"aria-label":`Chat`,className:`chat`,ref:f,children:[t.length===0&&(0,Y.jsx)(`p`,{className:`muted`,children:`No messages yet.`}),t.map(e=>(0,Y.jsxs)(`p`,{children:[(0,Y.jsx)(`strong`,{children:e.author.username}),` `,(0,Y.jsx)(`time`,{dateTime:e.createdAt,className:`muted`,children:new Date(e.createdAt).toLocaleTimeString([],{hour:`2-digit`,minute:`2-digit`})}),`: `,e.deleted?(0,Y.jsx)(`em`,{children:`message deleted`}):e.body]},e.id))]}),(0,Y.jsx)(`p`,{className:`typing`,"aria-live":`polite`,children:Er(n)}),(0,Y.jsxs)(`form`,{onSubmit:async t=>{t.preventDefault();let n=r.trim();if(!n)return;s(null);let a=await l({roomId:e,body:n});if(a.error)return s(Q(a.error));d.current=0,i(``)},className:`chat-form`,children:[(0,Y.jsxs)(`label`,{children:[`Message`,(0,Y.jsx)(`input`,{value:r,maxLength:4096,autoComplete:`off`,onChange:e=>p(e.target.value)})]}),` `,(0,Y.jsx)(`button`,{type:`submit`,disabled:c.fetching,children:`Send`})]}),o&&(0,Y.jsx)(`p`,{role:`alert`,children:o})]})}var Or=H`
  query ServerTime {
    serverTime
  }
`;function kr(e,t){if(typeof performance.getEntriesByType!=`function`)return null;let n=performance.getEntriesByType(`resource`);for(let r=n.length-1;r>=0;r--){let i=n[r];if(!i.name.includes(`/graphql?`)||!i.name.includes(`ServerTime`))continue;let a=performance.timeOrigin+i.requestStart,o=performance.timeOrigin+i.responseStart;if(i.requestStart>0&&i.responseStart>=i.requestStart&&a>=e&&o<=t)return{sent:a,received:o};break}return null}typeof performance.setResourceTimingBufferSize==`function`&&(performance.setResourceTimingBufferSize(500),performance.addEventListener?.(`resourcetimingbufferfull`,()=>performance.clearResourceTimings()));function Ar(){return performance.timeOrigin+performance.now()}var jr=class{client;samples=[];timer;constructor(e){this.client=e}get offsetMs(){return this.best()?.offsetMs??0}get rttMs(){return this.best()?.rttMs??0}get worstRecentRttMs(){return this.samples.reduce((e,t)=>Math.max(e,t.rttMs),0)}get synced(){return this.samples.length>0}now(){return Ar()+this.offsetMs}toLocal(e){return e-this.offsetMs}async measure(e=6){for(let t=0;t<e;t++)await this.sample()}start(e=2e4){this.stop(),this.timer=setInterval(()=>void this.measure(3).catch(()=>void 0),e)}stop(){clearInterval(this.timer),this.timer=void 0}async sample(){let e=Ar(),t=await this.client.query(Or,{},{requestPolicy:`network-only`,preferGetMethod:`force`}).toPromise(),n=Ar(),r=t.data?.serverTime;if(typeof r!=`number`)return;let i=kr(e,n),a=i?.sent??e,o=i?.received??n;this.samples.push({offsetMs:r-(a+o)/2,rttMs:o-a,at:n});let s=n-3e5;this.samples=this.samples.filter(e=>e.at>=s).slice(-30)}best(){let e;for(let t of this.samples)(!e||t.rttMs<e.rttMs)&&(e=t);return e}},Mr=200,Nr=300,Pr=10,Fr=2,Ir=.05;function Lr(e,t){return e.isPlaying?Math.max(e.positionMs,e.positionMs+(t-e.anchorTimeMs)):e.positionMs}var Rr=class{audio;clock;report;onChange;stats={driftMs:0,rate:1,seeks:0,seekLeadMs:0,blocked:!1};playback=null;trackId=null;tick;startTimer;nudging=!1;measureAfterSeek=!1;reported=null;seekLeadMs=0;listeners=[];constructor(e,t,n,r){this.audio=e,this.clock=t,this.report=n,this.onChange=r,e.preload=`auto`;let i=(t,n)=>{e.addEventListener(t,n),this.listeners.push([t,n])};i(`canplay`,()=>{this.reportStatus(`READY`),this.apply()}),i(`playing`,()=>this.reportStatus(`READY`)),i(`waiting`,()=>{this.playback?.isPlaying&&this.reportStatus(`BUFFERING`)}),i(`loadedmetadata`,()=>this.apply()),this.tick=setInterval(()=>this.apply(),Mr)}dispose(){clearInterval(this.tick),clearTimeout(this.startTimer);for(let[e,t]of this.listeners)this.audio.removeEventListener(e,t);this.audio.pause()}set(e){this.playback=e;let t=e?.track??null;t?(t.id!==this.trackId&&(this.trackId=t.id,this.reported=null,this.audio.src=t.streamUrl,this.audio.load()),clearTimeout(this.startTimer),this.startTimer=void 0,this.apply()):(this.trackId=null,this.audio.pause(),this.audio.removeAttribute(`src`),this.audio.load())}unblock(){this.stats.blocked=!1,this.audio.play().catch(()=>void 0),this.apply()}roomPositionMs(){return this.playback?Lr(this.playback,this.clock.now()):null}reportStatus(e){let t=this.trackId;!t||this.reported?.trackId===t&&this.reported.status===e||(this.reported={trackId:t,status:e},this.report(t,e))}setRate(e){Math.abs(this.audio.playbackRate-e)>1e-4&&(this.audio.playbackRate=e),this.stats.rate=e}seek(e){this.audio.currentTime=Math.max(0,e)/1e3}startPlaying(){this.audio.play().then(()=>{this.stats.blocked&&(this.stats.blocked=!1,this.onChange())},e=>{e instanceof DOMException&&e.name===`NotAllowedError`&&!this.stats.blocked&&(this.stats.blocked=!0,this.onChange())})}apply(){let e=this.playback,t=this.audio;if(!e?.track||!this.clock.synced)return;let n=this.clock.now(),r=Number.isFinite(t.duration)?t.duration*1e3:e.track.durationMs,i=t.readyState>=HTMLMediaElement.HAVE_METADATA;if(!e.isPlaying||n<e.anchorTimeMs){if(t.paused||t.pause(),this.setRate(1),this.nudging=!1,i&&!t.seeking&&Math.abs(t.currentTime*1e3-e.positionMs)>30&&this.seek(e.positionMs),e.isPlaying&&this.startTimer===void 0){let t=this.clock.toLocal(e.anchorTimeMs)-Ar();this.startTimer=setTimeout(()=>{this.startTimer=void 0,this.apply()},Math.max(0,t))}this.stats.driftMs=i?t.currentTime*1e3-e.positionMs:0;return}let a=Lr(e,n);if(a>=r){!t.paused&&t.ended&&t.pause();return}if(!i)return;if(t.paused){this.stats.blocked||(Math.abs(t.currentTime*1e3-a)>30&&(this.seek(a+this.seekLeadMs),this.measureAfterSeek=!0),this.startPlaying());return}if(t.seeking||t.readyState<HTMLMediaElement.HAVE_FUTURE_DATA)return;let o=t.currentTime*1e3-a;this.stats.driftMs=o,this.measureAfterSeek&&(this.measureAfterSeek=!1,Math.abs(o)<Nr*2&&(this.seekLeadMs=Math.min(1e3,Math.max(0,this.seekLeadMs-o*.8)),this.stats.seekLeadMs=this.seekLeadMs)),Math.abs(o)>Nr?(this.setRate(1),this.nudging=!1,this.stats.seeks+=1,this.seek(a+this.seekLeadMs),this.measureAfterSeek=!0):Math.abs(o)>Pr||this.nudging&&Math.abs(o)>Fr?(this.nudging=!0,this.setRate(1+Math.max(-.05,Math.min(Ir,-o/1e3)))):(this.nudging=!1,this.setRate(1))}};function zr({roomId:e,playback:t,canControl:n,snapshots:r}){let i=U(),o=(0,a.useRef)(null),s=(0,a.useRef)(null),c=(0,a.useRef)(null),l=(0,a.useRef)(t);l.current=t;let[u,d]=(0,a.useState)(!1),[f,p]=(0,a.useState)(1),[,m]=(0,a.useReducer)(e=>e+1,0),[h,g]=(0,a.useState)(null),[_,v]=(0,a.useState)(null),[,ee]=G(vn),[,y]=G(yn),[,b]=G(bn),[,x]=G(xn),S=(0,a.useRef)(null),C=()=>{let t=c.current;if(!t?.synced)return;let n=Math.max(1,Math.ceil(t.worstRecentRttMs));i.mutation(En,{roomId:e,rttMs:n}).toPromise()},w=(0,a.useRef)(C);w.current=C,(0,a.useEffect)(()=>{let t=o.current;if(!t)return;let n=new jr(i),r=new Rr(t,n,(t,n)=>void i.mutation(Dn,{roomId:e,trackId:t,status:n}).toPromise(),()=>d(r.stats.blocked));c.current=n,s.current=r,r.set(l.current);let a=!0;n.measure(6).then(()=>{a&&(w.current(),n.start(2e4))}),window.soundroom={sync:()=>({...r.stats,offsetMs:n.offsetMs,rttMs:n.rttMs,roomPositionMs:r.roomPositionMs(),audioMs:t.currentTime*1e3,at:Ar()}),connection:Kt};let u=setInterval(m,500);return()=>{a=!1,clearInterval(u),n.stop(),r.dispose(),c.current=null,s.current=null,delete window.soundroom}},[i,e]),(0,a.useEffect)(()=>{s.current?.set(t)},[t]),(0,a.useEffect)(()=>{r>0&&w.current()},[r]),(0,a.useEffect)(()=>{o.current&&(o.current.volume=f)},[f]),(0,a.useEffect)(()=>{let t=S.current;if(!t)return;let n=()=>{let n=Math.round(Number(t.value)*1e3);g(null),T(b({roomId:e,positionMs:n}))};return t.addEventListener(`change`,n),()=>t.removeEventListener(`change`,n)});let T=async e=>{v(null);let t=await e;t.error&&v(Q(t.error))},E=c.current,D=t?.track??null,te=t&&E?Lr(t,E.now()):0,O=Math.min(h??te,D?.durationMs??0),k=s.current?.stats,ne=t?.waitingFor??[];return(0,Y.jsxs)(`section`,{"aria-labelledby":`player-h`,children:[(0,Y.jsx)(`h2`,{id:`player-h`,children:`Now playing`}),(0,Y.jsx)(`audio`,{ref:o,preload:`auto`}),D?(0,Y.jsxs)(`p`,{children:[(0,Y.jsx)(`strong`,{children:D.name}),` by `,D.artist.name,` ·`,` `,(0,Y.jsxs)(`span`,{"aria-live":`off`,children:[$(O),` / `,$(D.durationMs)]}),` `,`· `,t?.isPlaying?`playing`:`paused`]}):(0,Y.jsxs)(`p`,{children:[`Nothing is playing. Add tracks to the queue`,n?` and press Play`:``,`.`]}),ne.length>0&&(0,Y.jsxs)(`p`,{children:[`Waiting for `,ne.map(e=>e.username).join(`, `),` to be ready…`]}),u&&(0,Y.jsxs)(`p`,{role:`alert`,children:[`Your browser blocked the sound.`,` `,(0,Y.jsx)(`button`,{type:`button`,onClick:()=>s.current?.unblock(),children:`Start audio`})]}),n?(0,Y.jsxs)(`div`,{role:`group`,"aria-label":`Playback controls`,className:`controls`,children:[(0,Y.jsx)(`button`,{type:`button`,onClick:()=>void T(ee({roomId:e})),children:`Play`}),(0,Y.jsx)(`button`,{type:`button`,onClick:()=>void T(y({roomId:e})),children:`Pause`}),(0,Y.jsx)(`button`,{type:`button`,onClick:()=>void T(x({roomId:e})),children:`Skip`}),(0,Y.jsxs)(`label`,{children:[`Position`,(0,Y.jsx)(`input`,{ref:S,type:`range`,min:0,max:Math.max(1,Math.floor((D?.durationMs??0)/1e3)),step:1,disabled:!D,value:Math.floor(O/1e3),onChange:e=>g(Number(e.target.value)*1e3)})]})]}):(0,Y.jsx)(`p`,{className:`muted`,children:`The host decides what plays.`}),(0,Y.jsxs)(`label`,{children:[`Volume`,(0,Y.jsx)(`input`,{type:`range`,min:0,max:1,step:.05,value:f,onChange:e=>p(Number(e.target.value))})]}),_&&(0,Y.jsx)(`p`,{role:`alert`,children:_}),(0,Y.jsxs)(`details`,{children:[(0,Y.jsx)(`summary`,{children:`Sync details`}),(0,Y.jsxs)(`dl`,{className:`stats`,children:[(0,Y.jsx)(`dt`,{children:`Clock offset`}),(0,Y.jsx)(`dd`,{children:E?`${E.offsetMs.toFixed(1)} ms`:`…`}),(0,Y.jsx)(`dt`,{children:`Round trip`}),(0,Y.jsx)(`dd`,{children:E?`${E.rttMs.toFixed(1)} ms`:`…`}),(0,Y.jsx)(`dt`,{children:`Drift`}),(0,Y.jsx)(`dd`,{children:k?`${k.driftMs.toFixed(1)} ms`:`…`}),(0,Y.jsx)(`dt`,{children:`Playback rate`}),(0,Y.jsx)(`dd`,{children:k?k.rate.toFixed(3):`…`}),(0,Y.jsx)(`dt`,{children:`Corrective seeks`}),(0,Y.jsx)(`dd`,{children:k?.seeks??0})]})]})]})}function Br({roomId:e,queue:t,canControl:n,meId:r}){let i=U(),[o,s]=(0,a.useState)(``),[c,l]=(0,a.useState)(null),[u,d]=(0,a.useState)(null),[,f]=G(Sn),[,p]=G(Cn),m=async e=>{e.preventDefault(),d(null);let t=await i.query(On,{search:o.trim()||null,first:20}).toPromise();if(t.error)return d(Q(t.error));l(t.data?.tracks.nodes??[])},h=async e=>{d(null);let t=await e;t.error&&d(Q(t.error))};return(0,Y.jsxs)(`section`,{"aria-labelledby":`queue-h`,children:[(0,Y.jsx)(`h2`,{id:`queue-h`,children:`Queue`}),t.length===0&&(0,Y.jsx)(`p`,{className:`muted`,children:`The queue is empty.`}),(0,Y.jsx)(`ol`,{"aria-label":`Queue`,children:t.map(t=>(0,Y.jsxs)(`li`,{children:[t.track.name,` `,(0,Y.jsxs)(`span`,{className:`muted`,children:[`by `,t.track.artist.name]}),` ·`,` `,$(t.track.durationMs),` · added by `,t.addedBy.username,` `,(n||t.addedBy.id===r)&&(0,Y.jsx)(`button`,{type:`button`,"aria-label":`Remove ${t.track.name} from the queue`,onClick:()=>void h(p({roomId:e,itemId:t.id})),children:`Remove`})]},t.id))}),(0,Y.jsxs)(`form`,{role:`search`,"aria-label":`Add from the catalog`,onSubmit:m,children:[(0,Y.jsxs)(`label`,{children:[`Search the catalog`,(0,Y.jsx)(`input`,{type:`search`,value:o,onChange:e=>s(e.target.value)})]}),` `,(0,Y.jsx)(`button`,{type:`submit`,children:`Search`})]}),u&&(0,Y.jsx)(`p`,{role:`alert`,children:u}),c&&(0,Y.jsxs)(`ul`,{"aria-label":`Catalog results`,children:[c.length===0&&(0,Y.jsx)(`li`,{children:`No tracks found.`}),c.map(t=>(0,Y.jsxs)(`li`,{children:[t.name,` `,(0,Y.jsxs)(`span`,{className:`muted`,children:[`by `,t.artist.name]}),` · `,$(t.durationMs),` `,(0,Y.jsx)(`button`,{type:`button`,"aria-label":`Add ${t.name} to the queue`,onClick:()=>void h(f({roomId:e,trackId:t.id})),children:`Add to queue`})]},t.id))]})]})}function Vr(e,t){if(t.__typename===`RoomSnapshot`){let{room:e,playback:n,queue:r,members:i,typing:a}=t;return{room:e,playback:n,queue:r,members:i,typing:a}}if(!e)return e;switch(t.__typename){case`MemberJoined`:return{...e,members:[...e.members.filter(e=>e.user.id!==t.member.user.id),t.member]};case`MemberRoleChanged`:return{...e,members:e.members.map(e=>e.user.id===t.member.user.id?t.member:e)};case`MemberLeft`:return{...e,members:e.members.filter(e=>e.user.id!==t.user.id)};case`PresenceChanged`:return{...e,members:e.members.map(e=>e.user.id===t.user.id?{...e,isConnected:t.isConnected}:e)};case`PlaybackChanged`:return t.playback.version>e.playback.version?{...e,playback:t.playback}:e;case`QueueChanged`:return{...e,queue:t.queue};case`TypingChanged`:{let n=e.typing.filter(e=>e.id!==t.user.id);return{...e,typing:t.isTyping?[...n,t.user]:n}}case`HostChanged`:return{...e,room:{...e.room,host:t.host}};case`RoomUpdated`:return{...e,room:t.room};default:return e}}function Hr(e,t){let n=new Map(e.map(e=>[e.id,e]));for(let e of t)n.set(e.id,e);return[...n.values()].sort((e,t)=>e.createdAt.localeCompare(t.createdAt)||e.id.localeCompare(t.id))}function Ur({roomId:e}){let t=U(),n=Rt()?.user,[{data:r,error:i,fetching:o}]=K({query:pn,variables:{id:e}}),[s,c]=(0,a.useState)(null),[l,u]=G(mn),[,d]=G(hn),[f,p]=(0,a.useState)(null),[m,h]=(0,a.useState)(null),[g,_]=(0,a.useState)([]),[v,ee]=(0,a.useState)(0),[y,b]=(0,a.useState)(null),[x,S]=(0,a.useState)(null),C=m??s??r?.room??null,w=!!(s??r?.room)?.viewerRole,T=(0,a.useCallback)(async()=>{let n=(await t.query(_n,{roomId:e}).toPromise()).data?.roomMessages?.nodes;n&&_(e=>Hr(e,n))},[t,e]),E=(0,a.useCallback)(async()=>{let n=await t.query(pn,{id:e}).toPromise();n.data?.room&&h(n.data.room)},[t,e]);if((0,a.useEffect)(()=>{if(!w)return;let r=t.subscription(gn,{roomId:e}).subscribe(e=>{if(e.error){S(Ln(e.error)===`FORBIDDEN`?`You are not a member of this room.`:Q(e.error));return}let t=e.data?.roomEvents;if(t){switch(S(null),t.__typename){case`RoomSnapshot`:h(t.room),ee(e=>e+1),T();break;case`ChatMessagePosted`:case`ChatMessageEdited`:case`ChatMessageDeleted`:_(e=>Hr(e,[t.message]));break;case`HostChanged`:case`MemberRoleChanged`:case`RoomUpdated`:E();break;case`MemberLeft`:t.user.id===n?.id&&b(t.kicked?`You were removed from this room.`:`You left this room.`);break;case`RoomClosed`:b(`This room is closed.`)}p(e=>Vr(e,t))}});return()=>r.unsubscribe()},[t,e,w,T,E,n?.id]),o&&!r)return(0,Y.jsx)(`p`,{children:`Loading the room…`});if(i)return(0,Y.jsx)(`p`,{role:`alert`,children:Q(i)});if(!C)return(0,Y.jsxs)(`section`,{children:[(0,Y.jsx)(`h1`,{children:`Room not found`}),(0,Y.jsxs)(`p`,{children:[`This room does not exist or you may not see it. `,(0,Y.jsx)(Z,{href:`/`,children:`Back to the rooms`})]})]});if(!w)return(0,Y.jsxs)(`section`,{children:[(0,Y.jsx)(`h1`,{children:C.name}),(0,Y.jsxs)(`p`,{children:[`Hosted by `,C.host.username,`. `,C.connectedCount??0,` listening now.`]}),l.error&&(0,Y.jsx)(`p`,{role:`alert`,children:Q(l.error)}),(0,Y.jsx)(`button`,{type:`button`,disabled:l.fetching,onClick:async()=>{let t=await u({roomId:e});t.data?.joinRoom&&c(t.data.joinRoom)},children:`Join room`})]});let D=C.viewerCanControl;return(0,Y.jsxs)(Y.Fragment,{children:[(0,Y.jsx)(`h1`,{children:C.name}),(0,Y.jsxs)(`p`,{className:`muted`,children:[`Hosted by `,(f?.room??C).host.username,` · `,C.visibility.toLowerCase(),` room`,` `,(0,Y.jsx)(`button`,{type:`button`,onClick:async()=>{await d({roomId:e}),X(`/`)},children:`Leave room`})]}),y&&(0,Y.jsx)(`p`,{role:`alert`,children:y}),x&&(0,Y.jsx)(`p`,{role:`alert`,children:x}),!f&&!x&&(0,Y.jsx)(`p`,{children:`Connecting…`}),(0,Y.jsxs)(`div`,{className:`room`,children:[(0,Y.jsxs)(`div`,{className:`room-main`,children:[(0,Y.jsx)(zr,{roomId:e,playback:f?.playback??null,canControl:D,snapshots:v}),(0,Y.jsx)(Br,{roomId:e,queue:f?.queue??[],canControl:D,meId:n?.id})]}),(0,Y.jsxs)(`div`,{className:`room-side`,children:[(0,Y.jsxs)(`section`,{"aria-labelledby":`members-h`,children:[(0,Y.jsx)(`h2`,{id:`members-h`,children:`Members`}),(0,Y.jsx)(`ul`,{"aria-label":`Members`,children:(f?.members??[]).map(e=>(0,Y.jsxs)(`li`,{className:e.isConnected?`connected`:`away`,children:[e.user.username,` `,(0,Y.jsxs)(`span`,{className:`muted`,children:[`(`,e.user.tag,`)`]}),e.role!==`LISTENER`&&(0,Y.jsx)(`span`,{className:`badge`,children:e.role===`HOST`?`host`:`DJ`}),` `,(0,Y.jsx)(`span`,{className:`muted`,children:e.isConnected?`connected`:`not connected`})]},e.user.id))})]}),(0,Y.jsx)(Dr,{roomId:e,messages:g,typing:(f?.typing??[]).filter(e=>e.id!==n?.id)})]})]})]})}var Wr={PUBLIC:`Public`,FRIENDS:`Friends`,PRIVATE:`Private`};function Gr(){let[{data:e,error:t,fetching:n},r]=K({query:dn}),[i,o]=(0,a.useState)(``),[s,c]=(0,a.useState)(`PUBLIC`),[l,u]=G(fn),[d,f]=(0,a.useState)(null),p=async e=>{e.preventDefault(),f(null);let t=await u({input:{name:i.trim(),visibility:s}}),n=t.data?.createRoom?.id;if(!n)return f(Q(t.error));X(`/rooms/${n}`)},m=e?.rooms.nodes??[];return(0,Y.jsxs)(Y.Fragment,{children:[(0,Y.jsx)(`h1`,{children:`Rooms`}),(0,Y.jsxs)(`section`,{"aria-labelledby":`rooms-list`,children:[(0,Y.jsx)(`h2`,{id:`rooms-list`,children:`Rooms you can join`}),t&&(0,Y.jsx)(`p`,{role:`alert`,children:Q(t)}),n&&!e&&(0,Y.jsx)(`p`,{children:`Loading…`}),e&&m.length===0&&(0,Y.jsx)(`p`,{children:`No rooms yet: create one below.`}),(0,Y.jsx)(`ul`,{"aria-label":`Rooms`,className:`cards`,children:m.map(e=>(0,Y.jsxs)(`li`,{children:[(0,Y.jsx)(Z,{href:`/rooms/${e.id}`,children:e.name}),` `,(0,Y.jsxs)(`span`,{className:`muted`,children:[Wr[e.visibility],` · host `,e.host.username,` · `,e.connectedCount??0,` of`,` `,e.memberCount??0,` listening`,e.viewerRole?` · you are a member`:``]})]},e.id))}),(0,Y.jsx)(`button`,{type:`button`,onClick:()=>r({requestPolicy:`network-only`}),children:`Refresh`})]}),(0,Y.jsxs)(`section`,{"aria-labelledby":`new-room`,children:[(0,Y.jsx)(`h2`,{id:`new-room`,children:`New room`}),(0,Y.jsxs)(`form`,{onSubmit:p,children:[(0,Y.jsxs)(`label`,{children:[`Room name`,(0,Y.jsx)(`input`,{required:!0,maxLength:80,value:i,onChange:e=>o(e.target.value)})]}),(0,Y.jsxs)(`label`,{children:[`Visibility`,(0,Y.jsxs)(`select`,{value:s,onChange:e=>c(e.target.value),children:[(0,Y.jsx)(`option`,{value:`PUBLIC`,children:`Public: anyone may join`}),(0,Y.jsx)(`option`,{value:`FRIENDS`,children:`Friends: your friends may join`}),(0,Y.jsx)(`option`,{value:`PRIVATE`,children:`Private: people you invite`})]})]}),d&&(0,Y.jsx)(`p`,{role:`alert`,children:d}),(0,Y.jsx)(`button`,{type:`submit`,disabled:l.fetching,children:`Create room`})]})]})]})}function Kr(){let[e,t]=(0,a.useState)(!1);return(0,a.useEffect)(()=>{let e=!0;return fetch(`/auth/providers`,{headers:{accept:`application/json`}}).then(e=>e.ok?e.json():{google:!1}).then(n=>e&&t(n.google===!0)).catch(()=>void 0),()=>{e=!1}},[]),e}function qr(){let[e,t]=(0,a.useState)(`signin`),[n,r]=(0,a.useState)(``),[i,o]=(0,a.useState)(``),[s,c]=(0,a.useState)(``),[l,u]=(0,a.useState)(``),[d,f]=(0,a.useState)(null),[p,m]=(0,a.useState)(null),h=Kr(),[g,_]=G(cn),[v,ee]=G(ln),[y,b]=G(un),[x,S]=G(jn),[C,w]=(0,a.useState)(!1),T=g.fetching||v.fetching||y.fetching||x.fetching,E=async r=>{if(r.preventDefault(),m(null),e===`signin`){let e=await _({input:{email:n,password:i}}),r=e.data?.login;if(!r)return m(Q(e.error));if(r.__typename===`TwoFactorChallenge`){f(r.challengeToken),t(`twofactor`);return}Bt(r)}else if(e===`forgot`){let e=await S({email:n.trim()});if(!e.data?.requestPasswordReset)return m(Q(e.error));w(!0)}else if(e===`register`){let e=await ee({input:{email:n,password:i,username:s}});if(!e.data?.register)return m(Q(e.error));Bt(e.data.register)}else{let e=await b({challengeToken:d,code:l.trim()});if(!e.data?.verifyTwoFactor)return m(Q(e.error));Bt(e.data.verifyTwoFactor)}};if(e===`twofactor`)return(0,Y.jsxs)(`section`,{className:`narrow`,children:[(0,Y.jsx)(`h1`,{children:`Two-factor sign-in`}),(0,Y.jsxs)(`form`,{onSubmit:E,children:[(0,Y.jsx)(`p`,{children:`Enter the 6-digit code from your authenticator app, or one of your recovery codes.`}),(0,Y.jsxs)(`label`,{children:[`Authentication code`,(0,Y.jsx)(`input`,{name:`code`,autoComplete:`one-time-code`,inputMode:`numeric`,required:!0,autoFocus:!0,value:l,onChange:e=>u(e.target.value)})]}),p&&(0,Y.jsx)(`p`,{role:`alert`,children:p}),(0,Y.jsx)(`button`,{type:`submit`,disabled:T,children:`Verify`}),` `,(0,Y.jsx)(`button`,{type:`button`,onClick:()=>{t(`signin`),u(``),m(null)},children:`Start over`})]})]});if(e===`forgot`)return(0,Y.jsxs)(`section`,{className:`narrow`,children:[(0,Y.jsx)(`h1`,{children:`Reset your password`}),(0,Y.jsxs)(`form`,{onSubmit:E,children:[(0,Y.jsx)(`p`,{children:`Enter your account's email: a link to choose a new password is mailed to it.`}),(0,Y.jsxs)(`label`,{children:[`Email`,(0,Y.jsx)(`input`,{type:`email`,name:`email`,autoComplete:`email`,required:!0,autoFocus:!0,value:n,onChange:e=>r(e.target.value)})]}),p&&(0,Y.jsx)(`p`,{role:`alert`,children:p}),C&&(0,Y.jsx)(`p`,{role:`status`,children:`If an account uses that address, a reset link is on its way. It works for one hour.`}),(0,Y.jsx)(`button`,{type:`submit`,disabled:T,children:`Send reset link`}),` `,(0,Y.jsx)(`button`,{type:`button`,onClick:()=>{t(`signin`),w(!1),m(null)},children:`Back to sign in`})]})]});let D=e===`register`;return(0,Y.jsxs)(`section`,{className:`narrow`,children:[(0,Y.jsx)(`h1`,{children:D?`Create your account`:`Sign in to Soundroom`}),(0,Y.jsxs)(`form`,{onSubmit:E,children:[(0,Y.jsxs)(`label`,{children:[`Email`,(0,Y.jsx)(`input`,{type:`email`,name:`email`,autoComplete:`email`,required:!0,value:n,onChange:e=>r(e.target.value)})]}),D&&(0,Y.jsxs)(`label`,{children:[`Username`,(0,Y.jsx)(`input`,{name:`username`,autoComplete:`nickname`,required:!0,minLength:3,maxLength:32,value:s,onChange:e=>c(e.target.value)})]}),(0,Y.jsxs)(`label`,{children:[`Password`,(0,Y.jsx)(`input`,{type:`password`,name:`password`,autoComplete:D?`new-password`:`current-password`,required:!0,minLength:D?8:void 0,value:i,onChange:e=>o(e.target.value)})]}),p&&(0,Y.jsx)(`p`,{role:`alert`,children:p}),D?(0,Y.jsxs)(Y.Fragment,{children:[(0,Y.jsx)(`button`,{type:`submit`,disabled:T,children:`Create account`}),` `,(0,Y.jsx)(`button`,{type:`button`,onClick:()=>t(`signin`),children:`I already have an account`})]}):(0,Y.jsxs)(Y.Fragment,{children:[(0,Y.jsx)(`button`,{type:`submit`,disabled:T,children:`Sign in`}),` `,(0,Y.jsx)(`button`,{type:`button`,onClick:()=>t(`register`),children:`Create account`}),` `,(0,Y.jsx)(`button`,{type:`button`,onClick:()=>{t(`forgot`),m(null)},children:`Forgot password?`})]})]}),h&&(0,Y.jsx)(`p`,{children:(0,Y.jsx)(`a`,{href:`/auth/google`,children:`Sign in with Google`})})]})}function Jr(){let[e,t]=(0,a.useState)(Rt),n=Qt(),r=e?.user.id??null,[i,o]=(0,a.useState)(null);return(0,a.useEffect)(()=>zt(t),[]),(0,a.useEffect)(()=>{let e=Yt();return o(e),()=>e.dispose()},[r]),n===`/auth/callback`?(0,Y.jsx)(Kn,{}):i?(0,Y.jsxs)(gt,{value:i.client,children:[(0,Y.jsx)(`header`,{children:(0,Y.jsxs)(`nav`,{"aria-label":`Main`,children:[(0,Y.jsx)(Z,{href:`/`,className:`brand`,children:`Soundroom`}),e&&(0,Y.jsxs)(Y.Fragment,{children:[(0,Y.jsx)(Z,{href:`/`,children:`Rooms`}),(0,Y.jsx)(Z,{href:`/library`,children:`Library`}),(0,Y.jsx)(Z,{href:`/friends`,children:`Friends`}),(0,Y.jsx)(Z,{href:`/account`,children:`Account`})]}),(0,Y.jsx)(`a`,{href:`/graphiql`,children:`GraphiQL`}),e&&(0,Y.jsxs)(`span`,{className:`who`,children:[`Signed in as `,(0,Y.jsx)(`strong`,{children:e.user.username}),` (`,e.user.tag,`)`,` `,(0,Y.jsx)(`button`,{type:`button`,onClick:()=>{Gt().finally(()=>X(`/`))},children:`Sign out`})]})]})}),(0,Y.jsx)(`main`,{children:(0,Y.jsx)(Zr,{children:Yr(n)??(e?Xr(n):(0,Y.jsx)(qr,{}))},n)})]}):null}function Yr(e){switch(e.replace(/\/+$/,``)){case`/verify-email`:return(0,Y.jsx)(qn,{kind:`verify`});case`/confirm-email`:return(0,Y.jsx)(qn,{kind:`confirm`});case`/reset-password`:return(0,Y.jsx)(wr,{});default:return null}}function Xr(e){let t=/^\/rooms\/([0-9a-fA-F-]{36})\/?$/.exec(e);if(t)return(0,Y.jsx)(Ur,{roomId:t[1].toLowerCase()});switch(e.replace(/\/+$/,``)||`/`){case`/`:case`/rooms`:return(0,Y.jsx)(Gr,{});case`/library`:return(0,Y.jsx)(Cr,{});case`/friends`:return(0,Y.jsx)(rr,{});case`/account`:return(0,Y.jsx)(Vn,{});default:return(0,Y.jsxs)(`section`,{children:[(0,Y.jsx)(`h1`,{children:`Not found`}),(0,Y.jsxs)(`p`,{children:[`There is no page at `,(0,Y.jsx)(`code`,{children:e}),`. `,(0,Y.jsx)(Z,{href:`/`,children:`Go to the rooms`}),`.`]})]})}}function Zr({children:e}){let t=(0,a.useRef)(null);return(0,a.useEffect)(()=>{let e=t.current?.querySelector(`h1`);e&&document.activeElement===document.body&&(e.setAttribute(`tabindex`,`-1`),e.focus({preventScroll:!0}))},[]),(0,Y.jsx)(`div`,{ref:t,children:e})}var Qr=document.getElementById(`root`);Qr&&(0,o.createRoot)(Qr).render((0,Y.jsx)(a.StrictMode,{children:(0,Y.jsx)(Jr,{})}));